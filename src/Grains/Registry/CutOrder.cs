namespace OrleansUws.Grains.Registry;

/// <summary>
/// Keeps the registry's fan-outs in version-cut order: a model submitted for cut c is sent to its slices only after every
/// model of an earlier cut that the registry was admitting has been sent (or has left: rejected, failed). Admission takes
/// a varying time per model, so without this a slice often meets a model of the next cut before the last ones of its own
/// cut, and such a late model is absorbed twice (by the slice and by the cut's copy). Ordering the sends costs nothing but
/// the short wait for the earlier admissions; a late model that still comes (another silo's message overtook it) is
/// handled by the cut as before. Models submitted without a cut (0) never wait. Used on the registry's turns only.
/// </summary>
public sealed class CutOrder
{
    private readonly SortedDictionary<int, int> _unsent = [];
    private readonly List<(int Cut, TaskCompletionSource Ready)> _waiting = [];

    /// <summary>A submission for <paramref name="cut"/> starts; its turn ends when it is sent or leaves.</summary>
    public Turn Enter(int cut)
    {
        if (cut > 0)
        {
            _unsent[cut] = _unsent.GetValueOrDefault(cut) + 1;
        }

        return new Turn(this, cut);
    }

    private bool EarlierUnsent(int cut) => _unsent.Count > 0 && _unsent.First().Key < cut;

    private void Done(int cut)
    {
        if (cut <= 0)
        {
            return;
        }

        if (--_unsent[cut] == 0)
        {
            _unsent.Remove(cut);
        }

        for (int i = _waiting.Count - 1; i >= 0; i--)
        {
            if (!EarlierUnsent(_waiting[i].Cut))
            {
                _waiting[i].Ready.TrySetResult();
                _waiting.RemoveAt(i);
            }
        }
    }

    /// <summary>One submission's place in the order.</summary>
    public sealed class Turn(CutOrder order, int cut)
    {
        private bool _done;

        /// <summary>Completes once no model of an earlier cut is waiting to be sent.</summary>
        public Task EarlierSentAsync()
        {
            if (_done || !order.EarlierUnsent(cut))
            {
                return Task.CompletedTask;
            }

            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            order._waiting.Add((cut, ready));
            return ready.Task;
        }

        /// <summary>The model was sent to its slices, or will not be (idempotent).</summary>
        public void Done()
        {
            if (!_done)
            {
                _done = true;
                order.Done(cut);
            }
        }
    }
}

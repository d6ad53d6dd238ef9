using OrleansUws.Grains.Interfaces;
using Spectre.Console;

namespace OrleansUws.Coordinator.Output;

/// <summary>Advances a Spectre progress task by one per submitted model and counts rejections in its description.</summary>
/// <param name="task">The progress task (max value = models to submit).</param>
public sealed class SubmitProgress(ProgressTask task) : IProgress<SubmitResult>
{
    private readonly string _description = task.Description;
    private int _rejected;

    /// <inheritdoc />
    public void Report(SubmitResult value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Status == ModelStatus.Rejected)
        {
            var rejected = Interlocked.Increment(ref _rejected);
            task.Description = $"{_description} ({rejected} rejected)";
        }

        task.Increment(1);
    }
}

using Spectre.Console;

namespace OrleansUws.Coordinator.Output;

/// <summary>
/// An <see cref="IProgress{T}"/> that sets a Spectre progress task's value synchronously on the reporting
/// thread (unlike <see cref="Progress{T}"/>, which posts and can reorder reports).
/// </summary>
/// <param name="task">The progress task to update.</param>
public sealed class ProgressTaskReporter(ProgressTask task) : IProgress<int>
{
    /// <inheritdoc />
    public void Report(int value) => task.Value = value;
}

using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OrleansUws.Coordinator.Output;

/// <summary>
/// A progress column with the items done out of the total and the current rate (Spectre's moving average of the
/// task's progress), e.g. <c>120/200 · 16.7/s</c>; the rate is "–" until measured.
/// </summary>
public sealed class CountAndRateColumn : ProgressColumn
{
    /// <inheritdoc />
    protected override bool NoWrap => true;

    /// <inheritdoc />
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
    {
        ArgumentNullException.ThrowIfNull(task);
        var rate = task.Speed is { } speed ? speed.ToString("F1", CultureInfo.InvariantCulture) : "–";
        return new Markup(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{task.Value:F0}/{task.MaxValue:F0} · {rate}/s")));
    }
}

using OrleansUws.Coordinator.Reports;
using OrleansUws.Grains.Interfaces;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OrleansUws.Coordinator.Output;

/// <summary>What <c>uws status</c> shows of a fleet, as one renderable (printed once, or redrawn by <c>--watch</c>).</summary>
public static class StatusView
{
    /// <summary>
    /// The fleet's counts and settings, the per-layer table, and the listed models (rejected ones with their reasons,
    /// or every model); <paramref name="footer"/> (e.g. the refresh time) goes last when given.
    /// </summary>
    public static IRenderable Build(FleetDescription fleet, IEnumerable<LayerReport> layers, IReadOnlyList<ModelRecord> models, string? footer = null)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(models);
        var parts = new List<IRenderable>
        {
            new Markup($"fleet [bold]{Markup.Escape(fleet.Fleet)}[/]: " + Markup.Escape(
                $"{fleet.Counts.Absorbed} absorbed, {fleet.Counts.Queued} queued, {fleet.Counts.Rejected} rejected, {fleet.Counts.Quarantined} quarantined, {fleet.Counts.Deleted} deleted; {fleet.Layers.Count} layers × {string.Join("/", fleet.Modes.Select(UwsKeys.ModeName))}{(fleet.Centered ? ", centred" : string.Empty)}; {fleet.SliceCount} slices per layer")),
        };
        var reports = layers.ToArray();
        if (reports.Length > 0)
        {
            parts.Add(LayerTableRenderer.Build(reports));
        }

        parts.AddRange(models.Select(model => new Markup(Markup.Escape(
            $"{model.Status,-8} {model.ModelId}  {model.Location}{(model.Reason is null ? string.Empty : $"  — {model.Reason}")}"))));
        if (fleet.Counts.Dropped > 0)
        {
            parts.Add(new Markup(Markup.Escape(
                $"(+ {fleet.Counts.Dropped} older rejected or quarantined models whose records were dropped: {fleet.Counts.RejectedDropped} rejected, {fleet.Counts.QuarantinedDropped} quarantined)")));
        }

        if (footer is not null)
        {
            parts.Add(new Markup($"[grey]{Markup.Escape(footer)}[/]"));
        }

        return new Rows(parts);
    }
}

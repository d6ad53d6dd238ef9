using System.Diagnostics;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// Started before a slice reads a model's layer and appends it to its sketch; <see cref="UwsMetrics.SketchUpdated"/>
/// splits the elapsed time into update and shrink (a Frequent Directions sketch times its own shrinks).
/// </summary>
public readonly struct SketchUpdateTiming
{
    private readonly long _started;
    private readonly int _shrinks;
    private readonly TimeSpan _shrinkTime;

    private SketchUpdateTiming(ICovarianceSketch sketch)
    {
        Sketch = sketch;
        _started = Stopwatch.GetTimestamp();
        if (sketch is FrequentDirectionsSketch fd)
        {
            _shrinks = fd.ShrinkCount;
            _shrinkTime = fd.ShrinkTime;
        }
    }

    /// <summary>The sketch being updated.</summary>
    public ICovarianceSketch Sketch { get; }

    /// <summary>Starts timing an update of <paramref name="sketch"/>.</summary>
    public static SketchUpdateTiming Start(ICovarianceSketch sketch)
    {
        ArgumentNullException.ThrowIfNull(sketch);
        return new SketchUpdateTiming(sketch);
    }

    /// <summary>Elapsed time, shrinks performed since the start, and the time they took.</summary>
    internal (TimeSpan Elapsed, int Shrinks, TimeSpan ShrinkTime) Stop()
    {
        var elapsed = Stopwatch.GetElapsedTime(_started);
        return Sketch is FrequentDirectionsSketch fd
            ? (elapsed, fd.ShrinkCount - _shrinks, fd.ShrinkTime - _shrinkTime)
            : (elapsed, 0, TimeSpan.Zero);
    }
}

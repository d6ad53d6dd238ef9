namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// A slice's sketch on its way to the coordinator. Within one silo it carries the sketch itself (<see cref="Source"/>: the
/// slice's copy as of a version cut, which shares the slice's rows copy-on-write), so the coordinator reads it in place and
/// nothing is serialised; to another silo or a client it travels as the numerics library's binary serialisation
/// (<see cref="Bytes"/>, written when the message is), never a float-by-float object graph.
/// </summary>
[Immutable]
public sealed class SketchBlob
{
    private byte[]? _bytes;

    /// <summary>A blob of serialised bytes (empty: no sketch).</summary>
    public SketchBlob(byte[] bytes) => _bytes = bytes ?? throw new ArgumentNullException(nameof(bytes));

    /// <summary>A sketch handed over within the silo; the receiver takes it over (<see cref="ISketchSource"/>).</summary>
    public SketchBlob(ISketchSource source) => Source = source ?? throw new ArgumentNullException(nameof(source));

    /// <summary>No sketch (the slice holds none, or the receiver already holds this revision).</summary>
    public static SketchBlob Empty { get; } = new([]);

    /// <summary>The sketch itself, when it did not leave the silo it was taken in; null for bytes read off the wire.</summary>
    public ISketchSource? Source { get; }

    /// <summary>The serialised sketch (written from <see cref="Source"/> on first use).</summary>
    public byte[] Bytes => LazyInitializer.EnsureInitialized(ref _bytes, () => Source!.Serialize());

    /// <summary>True when it carries no sketch.</summary>
    public bool IsEmpty => Source is null && Bytes.Length == 0;
}

/// <summary>
/// A sketch a slice hands to its coordinator within the silo: the coordinator owns it from then on (and disposes it), the
/// slice no longer touches it.
/// </summary>
public interface ISketchSource
{
    /// <summary>The numerics library's binary serialisation of the sketch.</summary>
    byte[] Serialize();
}

/// <summary>The wire form of <see cref="SketchBlob"/>: its serialised bytes.</summary>
[GenerateSerializer, Immutable]
public struct SketchBlobSurrogate
{
    /// <summary>The serialised sketch.</summary>
    [Id(0)] public byte[] Bytes { get; init; }
}

/// <summary>Converts <see cref="SketchBlob"/> to and from <see cref="SketchBlobSurrogate"/> (registered with Orleans).</summary>
[RegisterConverter]
public sealed class SketchBlobConverter : IConverter<SketchBlob, SketchBlobSurrogate>
{
    /// <inheritdoc />
    public SketchBlob ConvertFromSurrogate(in SketchBlobSurrogate surrogate) => new(surrogate.Bytes ?? []);

    /// <inheritdoc />
    public SketchBlobSurrogate ConvertToSurrogate(in SketchBlob value) => new() { Bytes = value.Bytes };
}

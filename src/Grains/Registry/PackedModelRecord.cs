using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// A <see cref="ModelRecord"/> as <see cref="ModelRecordLog"/> keeps it in memory: a 72-byte struct stored inline in the
/// log's <see cref="PackedRecordTable"/>, its content hash as a <see cref="ContentDigest"/> and its times as ticks and
/// offsets, so a registered model costs no object of its own beyond the strings it shares with the caller. The id is the
/// table's key; a content hash not in canonical form is kept by the log beside it (<see cref="HashAside"/>).
/// </summary>
internal readonly struct PackedModelRecord
{
    private readonly string _location;
    private readonly string? _reason;
    private readonly long _submittedTicks;
    private readonly long _completedTicks;
    private readonly short _submittedOffset;
    private readonly short _completedOffset;
    private readonly byte _status;
    private readonly Parts _parts;
    private readonly ContentDigest _hash;

    private PackedModelRecord(ModelRecord record, Parts parts, ContentDigest hash)
    {
        _location = record.Location;
        _reason = record.Reason;
        (_submittedTicks, _submittedOffset) = (record.SubmittedAt.Ticks, (short)record.SubmittedAt.TotalOffsetMinutes);
        if (record.CompletedAt is { } completed)
        {
            (_completedTicks, _completedOffset) = (completed.Ticks, (short)completed.TotalOffsetMinutes);
            parts |= Parts.Completed;
        }

        _status = (byte)record.Status;
        _parts = parts;
        _hash = hash;
    }

    [Flags]
    private enum Parts : byte
    {
        None = 0,
        Completed = 1,
        Hash = 2,
        HashAside = 4,
    }

    /// <summary>The model's status.</summary>
    public ModelStatus Status => (ModelStatus)_status;

    /// <summary>True when the record's content hash is not in canonical form: the caller keeps its text.</summary>
    public bool HashAside => (_parts & Parts.HashAside) != 0;

    /// <summary>Packs <paramref name="record"/>.</summary>
    public static PackedModelRecord Pack(ModelRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return ContentDigest.TryParse(record.ContentHash, out var hash)
            ? new PackedModelRecord(record, Parts.Hash, hash)
            : new PackedModelRecord(record, record.ContentHash is null ? Parts.None : Parts.HashAside, default);
    }

    /// <summary>The record again, with <paramref name="modelId"/> and, when <see cref="HashAside"/>, its content hash <paramref name="hashText"/>.</summary>
    public ModelRecord Unpack(string modelId, string? hashText = null) => new(
        modelId,
        _location,
        Status,
        _reason,
        new DateTimeOffset(_submittedTicks, TimeSpan.FromMinutes(_submittedOffset)),
        (_parts & Parts.Completed) != 0 ? new DateTimeOffset(_completedTicks, TimeSpan.FromMinutes(_completedOffset)) : null,
        (_parts & Parts.Hash) != 0 ? _hash.ToString() : hashText);
}

using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Session;
using Orleans.Storage;

namespace OrleansUws.Silo.Hosting;

/// <summary>
/// Orleans' binary grain-storage format (the bytes <see cref="OrleansGrainStorageSerializer"/> writes and reads), written
/// into pooled segments and copied once into an array of the exact size. Orleans' own serializer writes into an array
/// that starts at 256 bytes and doubles, so a slice checkpoint (a sketch of megabytes) allocated and copied about twice
/// its size in fresh large arrays per write: in a silo with Redis storage that was the largest single cost after the
/// sketch work itself (docs/benchmarks.md, "A silo with Redis storage").
/// </summary>
public sealed class PooledGrainStorageSerializer(Serializer serializer, SerializerSessionPool sessions) : IGrainStorageSerializer
{
    private readonly OrleansGrainStorageSerializer _reader = new(serializer);

    /// <inheritdoc />
    public BinaryData Serialize<T>(T? input)
    {
        using var session = sessions.GetSession();
        var writer = Writer.CreatePooled(session);
        try
        {
            serializer.Serialize(input, ref writer);
            return new BinaryData(writer.Output.ToArray());
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <inheritdoc />
    public T? Deserialize<T>(BinaryData input) => _reader.Deserialize<T>(input);
}

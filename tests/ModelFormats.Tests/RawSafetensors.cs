using System.Buffers.Binary;
using System.Text;

namespace OrleansUws.ModelFormats.Tests;

/// <summary>Builds safetensors bytes by hand, so tests can write any defect.</summary>
public static class RawSafetensors
{
    public static byte[] Build(string headerJson, ReadOnlySpan<byte> data)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes.AsSpan(8 + header.Length));
        return bytes;
    }

    public static string Write(string path, string headerJson, ReadOnlySpan<byte> data)
    {
        File.WriteAllBytes(path, Build(headerJson, data));
        return path;
    }

    public static string Write(string path, string headerJson, int dataBytes) => Write(path, headerJson, new byte[dataBytes]);
}

using System.Text;
using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

/// <summary>
/// Property test: random mutations of valid files either read fine or throw <see cref="ModelFormatException"/> —
/// never another exception type, never a hang, never a large allocation.
/// </summary>
public sealed class SafetensorsFuzzTests : IDisposable
{
    private const int Cases = 4000;
    private const long AllocationBoundPerCase = 1 << 20;

    private static readonly string[] JsonFragments =
        ["{", "}", "[", "]", ",", ":", "\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F32\"", "\"BF16\"", "\"__metadata__\"",
         "-1", "0", "18446744073709551615", "9223372036854775807", "1e400", "null", "true", "\\u0000", "\\", " "];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string WriteValidFile()
    {
        string path = _temp.File("valid.safetensors");
        float[] a = Enumerable.Range(0, 24).Select(i => i * 0.5f).ToArray();
        SafetensorsWriter.WriteAll(path,
            [(new TensorSpec("layers.0.q.weight", TensorDType.BF16, [4, 6]), a),
             (new TensorSpec("layers.0.k.weight", TensorDType.F32, [2, 3]), a[..6]),
             (new TensorSpec("norm", TensorDType.F16, [6]), a[..6]),
             (new TensorSpec("scale", TensorDType.F64, []), [2f])],
            new Dictionary<string, string> { ["format"] = "pt" });
        return path;
    }

    [Fact]
    public void RandomMutationsReadOrThrowTheFormatExceptionOnly()
    {
        byte[] valid = File.ReadAllBytes(WriteValidFile());
        var random = new Random(20260101);
        string path = _temp.File("mutant.safetensors");
        int accepted = 0, rejected = 0;
        for (int i = 0; i < Cases; i++)
        {
            byte[] mutant = Mutate(valid, random);
            File.WriteAllBytes(path, mutant);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using SafetensorsFile file = SafetensorsFile.Open(path);
                foreach (TensorInfo tensor in file.Tensors.Where(t => t.DType.IsReadableAsSingle()))
                {
                    file.ReadTensor(tensor.Name, new float[tensor.ElementCount]);
                    if (tensor.Rows > 0 && tensor.Columns > 0)
                    {
                        file.ReadColumns(tensor.Name, tensor.Columns - 1, 1, new float[tensor.Rows]);
                    }
                }

                accepted++;
            }
            catch (ModelFormatException e)
            {
                Assert.Equal(path, e.FilePath);
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i}: {e.GetType().Name}: {e.Message}\nheader: {Encoding.UTF8.GetString(mutant.AsSpan(8, Math.Min(mutant.Length - 8, 400)))}");
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < AllocationBoundPerCase, $"case {i} allocated {allocated} bytes");
        }

        // The mutations must exercise both outcomes, or the test proves nothing.
        Assert.True(accepted > Cases / 40, $"only {accepted} mutants were accepted");
        Assert.True(rejected > Cases / 2, $"only {rejected} mutants were rejected");
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = new List<byte>(valid);
        int headerEnd = 8 + BitConverter.ToInt32(valid, 0);
        int mutations = 1 + random.Next(3);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.Next(8))
            {
                case 0: // flip a bit anywhere
                    int at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // overwrite a header byte with a random byte
                    if (HeaderPosition(bytes, headerEnd, random) is int position)
                    {
                        bytes[position] = (byte)random.Next(256);
                    }

                    break;
                case 2: // truncate
                    int keep = random.Next(bytes.Count);
                    bytes.RemoveRange(keep, bytes.Count - keep);
                    break;
                case 3: // splice a JSON fragment into the header
                    byte[] fragment = Encoding.UTF8.GetBytes(JsonFragments[random.Next(JsonFragments.Length)]);
                    bytes.InsertRange(HeaderPosition(bytes, headerEnd, random) ?? bytes.Count, fragment);
                    if (random.Next(2) == 0)
                    {
                        WriteLength(bytes, headerEnd - 8 + fragment.Length); // keep the prefix consistent half the time
                    }

                    break;
                case 4: // change a digit in the header (shapes, offsets)
                    int digit = bytes.FindIndex(8, Math.Max(0, Math.Min(headerEnd, bytes.Count) - 8), b => b is >= (byte)'0' and <= (byte)'9');
                    if (digit >= 0)
                    {
                        int skip = random.Next(20);
                        for (int d = digit; d < Math.Min(headerEnd, bytes.Count) && skip >= 0; d++)
                        {
                            if (bytes[d] is >= (byte)'0' and <= (byte)'9' && skip-- == 0)
                            {
                                bytes[d] = (byte)('0' + random.Next(10));
                            }
                        }
                    }

                    break;
                case 5: // rewrite the length prefix
                    WriteLength(bytes, random.Next(4) switch
                    {
                        0 => random.Next(0, 1 << 16),
                        1 => headerEnd - 8 + random.Next(-8, 9),
                        2 => int.MaxValue,
                        _ => random.Next(),
                    });
                    break;
                case 6: // append junk
                    bytes.AddRange(Enumerable.Range(0, random.Next(1, 16)).Select(_ => (byte)random.Next(256)));
                    break;
                default: // corrupt data bytes (may create NaN/Inf)
                    for (int k = 0; k < 4 && bytes.Count > headerEnd; k++)
                    {
                        bytes[headerEnd + random.Next(bytes.Count - headerEnd)] = 0xFF;
                    }

                    break;
            }

            if (bytes.Count < 8)
            {
                break;
            }
        }

        return [.. bytes];
    }

    private static int? HeaderPosition(List<byte> bytes, int headerEnd, Random random)
    {
        int limit = Math.Min(headerEnd, bytes.Count);
        return limit > 8 ? 8 + random.Next(limit - 8) : null;
    }

    private static void WriteLength(List<byte> bytes, long length)
    {
        if (bytes.Count < 8)
        {
            return;
        }

        byte[] prefix = BitConverter.GetBytes((ulong)length);
        for (int i = 0; i < 8; i++)
        {
            bytes[i] = prefix[i];
        }
    }
}

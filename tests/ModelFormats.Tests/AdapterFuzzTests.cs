using System.Text;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Peft;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

/// <summary>Mutated adapter configs and sharded indexes: open either succeeds or throws <see cref="ModelFormatException"/>.</summary>
public sealed class AdapterFuzzTests : IDisposable
{
    private const int Cases = 1500;

    private static readonly string[] Fragments =
        ["{", "}", "[", "]", ",", ":", "\"", "\"r\"", "\"lora_alpha\"", "\"rank_pattern\"", "\"target_modules\"", "\"(a+)+$\"", "\"[\"",
         "-1", "0", "2.5", "1e400", "null", "true", "\"x\"", "99999999999"];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void MutatedAdapterConfigsOpenOrThrowTheFormatExceptionOnly()
    {
        string folder = _temp.File("adapter");
        new FleetGenerator(FleetPresets.Create(FleetPresets.Tiny, 1, layerCount: 1)).Generate(folder, cancellationToken: TestContext.Current.CancellationToken);
        string model = ModelReader.EnumerateModels(folder)[0];
        string configPath = Path.Combine(model, LoraAdapterConfig.FileName);
        string text = File.ReadAllText(configPath);
        Assert.Contains("\"rank_pattern\": {}", text);
        File.WriteAllText(configPath, text.Replace("\"rank_pattern\": {}", "\"rank_pattern\": {\"q_proj\": 4}"));
        byte[] valid = File.ReadAllBytes(configPath);
        var random = new Random(7);
        int accepted = 0;
        for (int i = 0; i < Cases; i++)
        {
            var bytes = new List<byte>(valid);
            for (int m = 0, count = 1 + random.Next(3); m < count && bytes.Count > 0; m++)
            {
                int at = random.Next(bytes.Count);
                switch (random.Next(3))
                {
                    case 0:
                        bytes[at] = (byte)random.Next(32, 127);
                        break;
                    case 1:
                        bytes.InsertRange(at, Encoding.UTF8.GetBytes(Fragments[random.Next(Fragments.Length)]));
                        break;
                    default:
                        bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(8)));
                        break;
                }
            }

            File.WriteAllBytes(configPath, [.. bytes]);
            try
            {
                using IModelReader reader = ModelReader.Open(model);
                accepted++;
            }
            catch (ModelFormatException e)
            {
                Assert.Contains(e.FilePath, new[] { configPath, Path.Combine(model, LoraAdapter.WeightsFileName) });
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i}: {e.GetType().Name}: {e.Message}\n{Encoding.UTF8.GetString([.. bytes])}");
            }
        }

        Assert.InRange(accepted, Cases / 50, Cases - Cases / 10);
    }
}

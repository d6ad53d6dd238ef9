using System.Globalization;
using System.IO.Compression;

namespace OrleansUws.TrainedFleet.Data;

/// <summary>
/// The UCI "Optical Recognition of Handwritten Digits" set as shipped in <c>data/digits/digits.csv.gz</c>: one line
/// per image, 64 pixel counts (0–16, an 8×8 image row by row) then the label 0–9. Pixels are scaled to [0, 1].
/// </summary>
public static class DigitsDataSet
{
    /// <summary>Pixels per image (8×8).</summary>
    public const int PixelCount = 64;

    /// <summary>Side of the square image.</summary>
    public const int Side = 8;

    /// <summary>Number of classes (digits 0–9).</summary>
    public const int ClassCount = 10;

    /// <summary>Largest pixel count in the file (a 4×4 block fully on).</summary>
    public const int MaxPixelValue = 16;

    /// <summary>Images in the shipped file.</summary>
    public const int ExpectedCount = 1797;

    /// <summary>The file's name, copied beside the program by the project file.</summary>
    public const string FileName = "digits.csv.gz";

    /// <summary>The shipped file beside the running program (<c>data/digits.csv.gz</c>).</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", FileName);

    /// <summary>Reads the gzip-compressed CSV.</summary>
    /// <param name="path">The file.</param>
    /// <returns>All images, in file order.</returns>
    /// <exception cref="InvalidDataException">A line does not hold 65 integers, or a value is out of range; the message names file and line.</exception>
    public static LabeledImages Load(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var pixels = new List<float>(ExpectedCount * PixelCount);
        var labels = new List<int>(ExpectedCount);
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            string[] fields = line.Split(',');
            if (fields.Length != PixelCount + 1)
            {
                throw new InvalidDataException($"{path}: line {lineNumber} has {fields.Length} fields; expected {PixelCount + 1} (64 pixels and the label).");
            }

            for (int j = 0; j <= PixelCount; j++)
            {
                int max = j == PixelCount ? ClassCount - 1 : MaxPixelValue;
                if (!double.TryParse(fields[j], NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                    || value != Math.Floor(value) || value < 0 || value > max)
                {
                    throw new InvalidDataException($"{path}: line {lineNumber} field {j + 1} is '{fields[j]}'; expected an integer in [0, {max}].");
                }

                if (j == PixelCount)
                {
                    labels.Add((int)value);
                }
                else
                {
                    pixels.Add((float)(value / MaxPixelValue));
                }
            }
        }

        return new LabeledImages([.. pixels], [.. labels]);
    }

    /// <summary>A seeded random split into a training and a test part.</summary>
    /// <param name="images">All images.</param>
    /// <param name="testCount">Images in the test part.</param>
    /// <param name="seed">Seed of the shuffle.</param>
    /// <returns>The two parts (disjoint, together all images).</returns>
    public static (LabeledImages Train, LabeledImages Test) Split(LabeledImages images, int testCount, int seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(testCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(testCount, images.Count);
        int[] order = [.. Enumerable.Range(0, images.Count)];
        new Random(seed).Shuffle(order);
        return (images.Select(order[testCount..]), images.Select(order[..testCount]));
    }
}

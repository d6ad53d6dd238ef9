using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Compression;
using OrleansUws.Subspace.Reconstruction;
using Xunit;

namespace OrleansUws.Subspace.Tests;

/// <summary>A coefficient file is never applied to the wrong basis silently, and a bad one says what is wrong.</summary>
public sealed class CoefficientFileTests : IDisposable
{
    private readonly TestFleet _fleet = TestFleet.TinyLora(models: 4);

    public void Dispose() => _fleet.Dispose();

    [Fact]
    public void MetadataNamesFleetLayersFormKCentringAndBasisVersions()
    {
        var path = Compress(CoefficientForm.TwoSided, version: 5, centred: false);
        using var file = SafetensorsFile.Open(path);

        Assert.Equal(CoefficientFile.FormatName, file.Metadata["format"]);
        Assert.Equal(TestFleet.FleetName, file.Metadata["fleet"]);
        Assert.Equal("two-sided", file.Metadata["form"]);
        Assert.Equal(
            """[{"layer":"layers.0.self_attn.q_proj","module":"model.layers.0.self_attn.q_proj","out_features":48,"in_features":32,"centred":false,"bases":[{"mode":"columns","version":5,"k":3},{"mode":"rows","version":5,"k":3}]},"""
            + """{"layer":"layers.0.self_attn.v_proj","module":"model.layers.0.self_attn.v_proj","out_features":24,"in_features":32,"centred":false,"bases":[{"mode":"columns","version":5,"k":3},{"mode":"rows","version":5,"k":3}]}]""",
            file.Metadata["layers"]);
        Assert.Equal([3L, 3L], file.GetTensor("layers.0.self_attn.q_proj").Shape);
    }

    [Fact]
    public void CoefficientsAgainstAnotherBasisVersionAreRefusedNamingBothVersions()
    {
        var path = Compress(CoefficientForm.Columns, version: 3, centred: false);
        var newer = BasisSet.Load(_fleet.WriteBases(_fleet.Fit(3, centred: false, version: 4, modes: [BasisMode.Columns]), "bases-v4"));

        var e = Assert.Throws<SubspaceFormatException>(() => new SubspaceReconstructor(TestFleet.Backend).Reconstruct(CoefficientFile.Read(path), newer, path));
        Assert.Equal(path, e.FilePath);
        Assert.Equal("layers.0.self_attn.q_proj", e.Field);
        Assert.Contains("columns basis version 3", e.Message);
        Assert.Contains("is version 4", e.Message);
    }

    [Fact]
    public void CoefficientsOfAnotherFleetAreRefused()
    {
        var path = Compress(CoefficientForm.Rows, version: 1, centred: false);
        var other = new BasisSet(_fleet.Fit(3, centred: false, modes: [BasisMode.Rows]).All.Select(b => b with { Header = b.Header with { Fleet = "other" } }));

        var e = Assert.Throws<SubspaceFormatException>(() => new SubspaceReconstructor(TestFleet.Backend).Reconstruct(CoefficientFile.Read(path), other, path));
        Assert.Equal("fleet", e.Field);
        Assert.Contains($"fleet '{TestFleet.FleetName}'", e.Message);
        Assert.Contains("fleet 'other'", e.Message);
    }

    [Fact]
    public void CentredCoefficientsAgainstAnUncentredBasisOfTheSameVersionAreRefused()
    {
        var path = Compress(CoefficientForm.Rows, version: 1, centred: true);
        var uncentred = _fleet.Fit(3, centred: false, modes: [BasisMode.Rows]);

        var e = Assert.Throws<SubspaceFormatException>(() => new SubspaceReconstructor(TestFleet.Backend).Reconstruct(CoefficientFile.Read(path), uncentred, path));
        Assert.Contains("coefficients are centred but the rows basis version 1 is uncentred", e.Message);
    }

    [Fact]
    public void AMissingBasisIsNamed()
    {
        var path = Compress(CoefficientForm.TwoSided, version: 2, centred: false);
        var rowsOnly = _fleet.Fit(3, centred: false, version: 2, modes: [BasisMode.Rows]);

        var e = Assert.Throws<SubspaceFormatException>(() => new SubspaceReconstructor(TestFleet.Backend).Reconstruct(CoefficientFile.Read(path), rowsOnly, path));
        Assert.Contains("needs the columns basis version 2", e.Message);
    }

    public static TheoryData<string, string?, string> Defects => new()
    {
        { "format=orleans-uws-basis", "format", "is 'orleans-uws-basis'; a coefficient file has 'orleans-uws-coefficients'" },
        { "format=", "format", "metadata field is missing; this is not a coefficient file" },
        { "format_version=2", "format_version", "is 2; this version reads 1" },
        { "form=diagonal", "form", "is 'diagonal'; expected one of rows, columns, two-sided, flattened" },
        { "layers={", "layers", "is not valid JSON" },
        { "layers={}", "layers", "is not a JSON array" },
        { "fleet=", "fleet", "metadata field is missing" },
        { "layers=[{\"layer\":\"x\"}]", "x", "field 'module' is missing" },
        { "layers=[{\"layer\":\"layers.0.self_attn.q_proj\",\"module\":\"q\",\"out_features\":48,\"in_features\":32,\"centred\":false,\"bases\":[{\"mode\":\"columns\",\"version\":1,\"k\":4}]}]",
            "layers.0.self_attn.q_proj", "coefficient tensor has shape [3, 32]; columns coefficients of a 48×32 layer with k = 4 have [4, 32]" },
        { "layers=[{\"layer\":\"absent\",\"module\":\"q\",\"out_features\":48,\"in_features\":32,\"centred\":false,\"bases\":[{\"mode\":\"columns\",\"version\":1,\"k\":3}]}]",
            "absent", "the layer's coefficient tensor is missing" },
        { "layers=[{\"layer\":\"layers.0.self_attn.q_proj\",\"module\":\"q\",\"out_features\":48,\"in_features\":32,\"centred\":false,\"bases\":[{\"mode\":\"rows\",\"version\":1,\"k\":3}]}]",
            "layers.0.self_attn.q_proj", "names bases [rows]; the columns form needs [columns]" },
    };

    [Theory]
    [MemberData(nameof(Defects))]
    public void BadMetadataIsNamed(string edit, string? field, string reason)
    {
        var path = Compress(CoefficientForm.Columns, version: 1, centred: false);
        var bad = Rewrite(path, edit);

        var e = Assert.Throws<SubspaceFormatException>(() => CoefficientFile.Read(bad));
        Assert.Equal(bad, e.FilePath);
        Assert.Equal(field, e.Field);
        Assert.StartsWith(reason, e.Reason);
    }

    [Fact]
    public void ANonFiniteCoefficientIsNamed()
    {
        var path = Compress(CoefficientForm.Columns, version: 1, centred: false);
        using (var file = SafetensorsFile.Open(path))
        {
            var tensors = file.Tensors.Select(t =>
            {
                var values = new float[t.ElementCount];
                file.ReadTensor(t.Name, values);
                values[5] = t.Name.Contains("v_proj", StringComparison.Ordinal) ? float.NaN : values[5];
                return (new TensorSpec(t.Name, TensorDType.F32, t.Shape.ToArray()), values);
            }).ToArray();
            SafetensorsWriter.WriteAll(path + ".nan", tensors, file.Metadata);
        }

        var e = Assert.Throws<SubspaceFormatException>(() => CoefficientFile.Read(path + ".nan"));
        Assert.Equal("layers.0.self_attn.v_proj", e.Field);
        Assert.Equal("value NaN at element 5 (row 0, column 5) is not finite", e.Reason);
    }

    [Fact]
    public void ATruncatedFileIsNotReadableSafetensors()
    {
        var path = Compress(CoefficientForm.Columns, version: 1, centred: false);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path + ".cut", bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<SubspaceFormatException>(() => CoefficientFile.Read(path + ".cut"));
        Assert.Null(e.Field);
        Assert.StartsWith("not a readable safetensors file", e.Reason);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var e = Assert.Throws<SubspaceFormatException>(() => CoefficientFile.Read(_fleet.Combine("absent.safetensors")));
        Assert.Equal("coefficient file does not exist", e.Reason);
    }

    private string Compress(CoefficientForm form, int version, bool centred)
    {
        var bases = _fleet.Fit(3, centred, version: version, modes: [BasisMode.Rows, BasisMode.Columns]);
        using var model = ModelReader.Open(_fleet.Models[0]);
        var coefficients = new SubspaceCompressor(TestFleet.Backend).CompressModel(model, "m0", bases, new CompressOptions(form));
        var path = _fleet.Combine($"{CoefficientForms.Name(form)}-{version}-{centred}.coefficients.safetensors");
        CoefficientFile.Write(path, coefficients);
        return path;
    }

    // Copies the file with one metadata entry replaced ("key=value"; an empty value removes the key).
    private static string Rewrite(string path, string edit)
    {
        var (key, value) = (edit[..edit.IndexOf('=', StringComparison.Ordinal)], edit[(edit.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        using var file = SafetensorsFile.Open(path);
        var metadata = file.Metadata.ToDictionary();
        if (value.Length == 0)
        {
            metadata.Remove(key);
        }
        else
        {
            metadata[key] = value;
        }

        var tensors = file.Tensors.Select(t =>
        {
            var values = new float[t.ElementCount];
            file.ReadTensor(t.Name, values);
            return (new TensorSpec(t.Name, TensorDType.F32, t.Shape.ToArray()), values);
        }).ToArray();
        var bad = path + ".bad";
        SafetensorsWriter.WriteAll(bad, tensors, metadata);
        return bad;
    }
}

using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using OrleansUws.Coordinator.Http;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Compression;
using OrleansUws.Subspace.Reconstruction;
using OrleansUws.Subspace.Updates;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>Projection, reconstruction and merge over HTTP against the cluster's current bases of a planted fleet.</summary>
public sealed class ProjectionApiTests
{
    private const int Absorbed = 30;
    private static readonly IBlasBackend Backend = new ManagedBlasBackend();

    [Fact]
    public async Task A_projected_then_reconstructed_held_out_model_matches_it_within_the_planted_noise()
    {
        var cancel = TestContext.Current.CancellationToken;
        // k = 3, the planted dimension (the default energy threshold may stop a basis one direction short of it).
        await using var server = await ApiServer.StartAsync(settings: [new("Uws:Cluster:Rank", "3")]);
        var fleetFolder = Path.Combine(server.ModelRoot, "fleet");
        await ApiServer.GenerateFleetAsync(fleetFolder, Absorbed + 1, seed: 17);
        using var reader = server.Client(ApiServer.ReadKey);
        using var ingest = server.Client(ApiServer.IngestKey);
        using var admin = server.Client(ApiServer.AdminKey);
        for (var i = 0; i < Absorbed; i++)
        {
            using var registered = await ingest.PostAsJsonAsync("/v1/fleets/proj/models", new RegisterModelRequest($"model-{i:D5}", $"fleet/model-{i:D5}"), cancel);
            Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        }

        var fleet = (await reader.GetFromJsonAsync<FleetDescription>("/v1/fleets/proj", ApiServer.Json, cancel))!;
        var versions = new HashSet<int>();
        foreach (var layer in fleet.Layers)
        {
            using var computed = await admin.PostAsync($"/v1/fleets/proj/layers/{layer.Layer}/rows/compute", null, cancel);
            versions.Add((await computed.Content.ReadFromJsonAsync<BasisVersionInfo>(ApiServer.Json, cancel))!.Version);
        }

        var version = Assert.Single(versions);

        // The held-out model (never absorbed) → coefficients (rows form, version pinned) → reconstructed dense ΔW.
        var heldOut = Path.Combine(fleetFolder, $"model-{Absorbed:D5}");
        using var projected = await ingest.PostAsJsonAsync("/v1/fleets/proj/projections", new ProjectionRequest(null, $"fleet/model-{Absorbed:D5}", "rows", null, version), cancel);
        Assert.True(projected.StatusCode == HttpStatusCode.OK, await projected.Content.ReadAsStringAsync(cancel));
        var coefficients = await projected.Content.ReadAsByteArrayAsync(cancel);
        var coefficientFile = server.Folder.Combine("held-out.coefficients.safetensors");
        await File.WriteAllBytesAsync(coefficientFile, coefficients, cancel);
        var read = CoefficientFile.Read(coefficientFile);
        Assert.Equal(("proj", CoefficientForm.Rows), (read.Fleet, read.Form));
        Assert.All(read.Layers, layer => Assert.Equal((version, 3), (Assert.Single(layer.Bases).Version, layer.Bases[0].K)));

        using var reconstructed = await ingest.PostAsync("/v1/fleets/proj/reconstructions?format=dense", new ByteArrayContent(coefficients), cancel);
        Assert.True(reconstructed.StatusCode == HttpStatusCode.OK, await reconstructed.Content.ReadAsStringAsync(cancel));
        var denseFile = server.Folder.Combine("held-out.delta.safetensors");
        await File.WriteAllBytesAsync(denseFile, await reconstructed.Content.ReadAsByteArrayAsync(cancel), cancel);

        // Compared with the original: the error is the planted noise (what projecting onto the planted basis leaves).
        var planted = PlantedErrors(fleetFolder, heldOut);
        using (var original = ModelReader.Open(heldOut))
        using (var restored = ModelReader.Open(denseFile))
        {
            foreach (var layer in original.Layers)
            {
                var error = UpdateAlgebra.RelativeError(LayerUpdates.Read(original, layer.LayerId), LayerUpdates.Read(restored, layer.LayerId), Backend);
                var noise = planted[layer.LayerId];
                Assert.True(noise > 0.005, $"{layer.LayerId}: the planted noise {noise:G4} should be visible");
                TestContext.Current.SendDiagnosticMessage($"{layer.LayerId}: relative error {error:G4} after the round trip, planted noise {noise:G4}");
                // Not below the noise (a held-out model's own noise is outside every basis), and above it only by what
                // estimating the basis from 30 noisy models adds (≈ 19 % here; 0.6 when k stops one direction short).
                Assert.True(error >= 0.95 * noise && error <= 1.3 * noise, $"{layer.LayerId}: error {error:G4} after the round trip, planted noise {noise:G4}");
            }
        }

        // The same model uploaded gives the same coefficients; the PEFT form of the reconstruction is a zipped adapter.
        var upload = new MultipartFormDataContent();
        foreach (var name in new[] { "adapter_config.json", "adapter_model.safetensors" })
        {
            upload.Add(new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(heldOut, name), cancel)), "files", name);
        }

        using var uploaded = await ingest.PostAsync("/v1/fleets/proj/projections/upload?form=rows", upload, cancel);
        Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
        var uploadedFile = server.Folder.Combine("uploaded.coefficients.safetensors");
        await File.WriteAllBytesAsync(uploadedFile, await uploaded.Content.ReadAsByteArrayAsync(cancel), cancel);
        Assert.Equal(read.Layers.Select(layer => layer.Values), CoefficientFile.Read(uploadedFile).Layers.Select(layer => layer.Values));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(server.Options.UploadFolder, ".staging")));

        using var peft = await ingest.PostAsync("/v1/fleets/proj/reconstructions", new ByteArrayContent(coefficients), cancel);
        Assert.Equal(ProjectionEndpoints.ZipMediaType, peft.Content.Headers.ContentType?.MediaType);
        using (var zip = new ZipArchive(await peft.Content.ReadAsStreamAsync(cancel)))
        {
            Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], zip.Entries.Select(entry => entry.FullName).Order(StringComparer.Ordinal));
        }

        // A version never published, a bad form, an unknown model: refused naming the field.
        using var stale = await ingest.PostAsJsonAsync("/v1/fleets/proj/projections", new ProjectionRequest("model-00000", null, "rows", null, version + 1), cancel);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Matches($"^version {version + 1} of layer '.+' \\(rows\\) was never published \\(versions run from 1 to the current {version}\\)$", await ApiServer.ErrorForAsync(stale, "version"));
        using var badForm = await ingest.PostAsJsonAsync("/v1/fleets/proj/projections", new ProjectionRequest("model-00000", null, "diagonal", null, null), cancel);
        Assert.Contains("form 'diagonal'", await ApiServer.ErrorForAsync(badForm, "form"), StringComparison.Ordinal);
        using var corrupt = await ingest.PostAsync("/v1/fleets/proj/reconstructions", new ByteArrayContent([1, 2, 3, 4, 5, 6, 7, 8, 9]), cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, corrupt.StatusCode);
        await ApiServer.ProblemAsync(corrupt);

        // Merge: the mean of two registered models.
        using var merged = await ingest.PostAsJsonAsync("/v1/fleets/proj/merges", new MergeRequest(["model-00000", "model-00001"], "mean", null, null, null, null, null, null, null), cancel);
        Assert.True(merged.StatusCode == HttpStatusCode.OK, await merged.Content.ReadAsStringAsync(cancel));
        using var badMerge = await ingest.PostAsJsonAsync("/v1/fleets/proj/merges", new MergeRequest(["model-00000", "nobody"], null, null, null, null, null, null, null, null), cancel);
        Assert.Contains("model 'nobody'", await ApiServer.ErrorForAsync(badMerge, "models"), StringComparison.Ordinal);
    }

    /// <summary>Per layer, the relative error of projecting <paramref name="model"/> onto the fleet's planted rows basis and back.</summary>
    private static Dictionary<string, double> PlantedErrors(string fleetFolder, string model)
    {
        BasisSet truth;
        using (var file = SafetensorsFile.Open(Path.Combine(fleetFolder, GroundTruthKeys.FileName)))
        using (var reader = ModelReader.Open(model))
        {
            truth = new BasisSet(reader.Layers.Select(layer =>
            {
                var name = GroundTruthKeys.RowsBasis(layer.LayerId);
                var info = file.GetTensor(name);
                var vectors = new float[info.ElementCount];
                file.ReadTensor(name, vectors);
                var header = new BasisFileHeader("truth", layer.LayerId, BasisMode.Rows, false, (int)info.Rows, 1, 0, 0);
                return new LayerBasisFile(header, (int)info.Columns, vectors, Enumerable.Repeat(1.0, (int)info.Rows).ToArray(), null);
            }).ToArray());
        }

        using var original = ModelReader.Open(model);
        var coefficients = new SubspaceCompressor(Backend).CompressModel(original, "held-out", truth, new CompressOptions(CoefficientForm.Rows));
        return new SubspaceReconstructor(Backend).Reconstruct(coefficients, truth, "truth")
            .ToDictionary(layer => layer.LayerId, layer => UpdateAlgebra.RelativeError(LayerUpdates.Read(original, layer.LayerId), layer.Update, Backend));
    }
}

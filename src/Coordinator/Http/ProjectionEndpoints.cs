using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansUws.Coordinator.Http.Security;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Compression;
using OrleansUws.Subspace.Merging;
using OrleansUws.Subspace.Reconstruction;
using OrleansUws.Subspace.Updates;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// The fleet's subspace put to use, against the layers' current bases: a model (registered, inside a model root, or
/// uploaded) → its coefficient file; a coefficient file → the reconstructed adapter (PEFT, zipped) or dense deltas; and
/// registered models → their merge. Bad files answer 422 naming the file and field, a basis version other than the
/// one asked for 409; nothing is stored.
/// </summary>
public static class ProjectionEndpoints
{
    /// <summary>Media type of a zipped PEFT adapter folder.</summary>
    public const string ZipMediaType = "application/zip";

    /// <summary>Maps the endpoints on <paramref name="fleets"/>.</summary>
    public static void Map(RouteGroupBuilder fleets, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(fleets);
        ArgumentNullException.ThrowIfNull(options);
        var group = fleets.MapGroup("/").WithTags("Projections")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapPost("/projections", ProjectReferenceAsync)
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream")
            .WithName("ProjectModel").WithSummary("A registered model, or one inside a model root → its coefficient file against the current bases.")
            .RequireAuthorization(ApiScopes.Ingest);
        group.MapPost("/projections/upload", ProjectUploadAsync)
            .Accepts<byte[]>("application/octet-stream", "multipart/form-data")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream")
            .WithBodyLimit(options.MaxUploadBytes)
            .WithName("ProjectUploadedModel").WithSummary("An uploaded model (raw .safetensors, or multipart adapter files) → its coefficient file; the upload is not kept.")
            .RequireAuthorization(ApiScopes.Ingest);
        group.MapPost("/reconstructions", ReconstructAsync)
            .Accepts<byte[]>("application/octet-stream")
            .Produces<byte[]>(StatusCodes.Status200OK, ZipMediaType, "application/octet-stream")
            .WithBodyLimit(options.MaxUploadBytes)
            .WithName("ReconstructModel").WithSummary("A coefficient file → the reconstructed adapter: format=peft (default, a zipped PEFT folder) or dense (safetensors of ΔW).")
            .RequireAuthorization(ApiScopes.Ingest);
        group.MapPost("/merges", MergeAsync)
            .Produces<byte[]>(StatusCodes.Status200OK, ZipMediaType)
            .WithName("MergeModels").WithSummary("Registered models → their merge (mean, task-arithmetic, ties, dare or subspace) as a zipped PEFT adapter.")
            .RequireAuthorization(ApiScopes.Ingest);
    }

    private static async Task<IResult> ProjectReferenceAsync(string fleet, ProjectionRequest body, ModelRoots roots, IClusterClient client, IBlasBackend backend)
    {
        if (!TryForm(body.Form, out var form, out var problem) || CheckK(body.K) is not null)
        {
            return problem ?? CheckK(body.K)!;
        }

        string? location;
        string name;
        if ((body.ModelId is null) == (body.Location is null))
        {
            return ApiProblems.BadField("modelId", "give exactly one of modelId (a registered model) and location (a path inside a model root)");
        }
        else if (body.ModelId is { } id)
        {
            if (await UwsApiEndpoints.Fleet(client, fleet).GetModelAsync(id).ConfigureAwait(false) is not { } record)
            {
                return ApiProblems.Status(StatusCodes.Status404NotFound, $"fleet '{fleet}' has no model '{id}'", "modelId");
            }

            (location, name) = (record.Location, id);
        }
        else
        {
            location = roots.IsEmpty ? null : roots.Resolve(body.Location!);
            if (location is null)
            {
                return ApiProblems.BadField("location", ModelRoots.Refusal);
            }

            name = SubspaceCompressor.ModelName(location);
        }

        return await ProjectAsync(fleet, location, name, form, body.K, body.Version, client, backend).ConfigureAwait(false);
    }

    private static async Task<IResult> ProjectUploadAsync(
        string fleet, string? form, int? k, int? version, HttpRequest request, ModelUploadStore store, IClusterClient client, IBlasBackend backend, CancellationToken cancellationToken)
    {
        if (!TryForm(form, out var parsed, out var problem) || CheckK(k) is not null)
        {
            return problem ?? CheckK(k)!;
        }

        using var staged = await store.StageAsync(request, cancellationToken).ConfigureAwait(false);
        return await ProjectAsync(fleet, staged.Path, "uploaded", parsed, k, version, client, backend).ConfigureAwait(false);
    }

    private static async Task<IResult> ProjectAsync(string fleet, string location, string name, CoefficientForm form, int? k, int? version, IClusterClient client, IBlasBackend backend)
    {
        var (bases, mismatch) = await ClusterBases.LoadAsync(client, fleet, CoefficientForms.RequiredModes(form), version).ConfigureAwait(false);
        if (bases is null)
        {
            return ApiProblems.Status(StatusCodes.Status409Conflict, mismatch!, "version");
        }

        return Answer(() =>
        {
            using var model = ModelReader.Open(location);
            var coefficients = new SubspaceCompressor(backend).CompressModel(model, name, bases, new CompressOptions(form) { K = k });
            var path = TempPath(".safetensors");
            CoefficientFile.Write(path, coefficients);
            return TypedResults.File(OpenTemporary(path), "application/octet-stream", CoefficientFile.FileName(name));
        });
    }

    private static async Task<IResult> ReconstructAsync(
        string fleet, string? format, HttpRequest request, ModelUploadStore store, IClusterClient client, IBlasBackend backend, CancellationToken cancellationToken)
    {
        if (format is not (null or "peft" or "dense"))
        {
            return ApiProblems.BadField("format", $"format '{format}' must be 'peft' or 'dense'");
        }

        if (request.HasFormContentType)
        {
            return ApiProblems.BadField("body", "send the coefficient file as the raw body (application/octet-stream)");
        }

        using var staged = await store.StageAsync(request, cancellationToken).ConfigureAwait(false);
        ModelCoefficients coefficients;
        try
        {
            coefficients = CoefficientFile.Read(staged.Path);
        }
        catch (Exception e) when (e is SubspaceFormatException or ModelFormatException)
        {
            return Unprocessable(e);
        }

        var modes = coefficients.Layers.SelectMany(layer => layer.Bases.Select(basis => basis.Mode)).Distinct().ToArray();
        var (bases, _) = await ClusterBases.LoadAsync(client, fleet, modes, null).ConfigureAwait(false);
        return Answer(() =>
        {
            var layers = new SubspaceReconstructor(backend).Reconstruct(coefficients, bases!, "the uploaded coefficient file");
            return format == "dense" ? DenseFile(layers, backend, coefficients.Model) : ZippedAdapter(layers, backend, coefficients.Model);
        });
    }

    private static async Task<IResult> MergeAsync(string fleet, MergeRequest body, IClusterClient client, IBlasBackend backend)
    {
        if (body.Models is not { Count: >= 2 } ids)
        {
            return ApiProblems.BadField("models", "models must name at least two registered models");
        }

        var method = MergeMethod.Mean;
        if (body.Method is { } text && !MergeMethods.TryParse(text, out method))
        {
            return ApiProblems.BadField("method", $"method '{text}' must be one of {string.Join(", ", MergeMethods.Names)}");
        }

        if (!TryForm(body.Form, out var form, out var problem) || CheckK(body.K) is not null)
        {
            return problem ?? CheckK(body.K)!;
        }

        var registry = UwsApiEndpoints.Fleet(client, fleet);
        var locations = new List<string>();
        foreach (var id in ids)
        {
            if (await registry.GetModelAsync(id).ConfigureAwait(false) is not { Status: ModelStatus.Absorbed } record)
            {
                return ApiProblems.BadField("models", $"model '{id}' is not an absorbed model of fleet '{fleet}'");
            }

            locations.Add(record.Location);
        }

        BasisSet? bases = null;
        if (method == MergeMethod.Subspace)
        {
            (bases, var mismatch) = await ClusterBases.LoadAsync(client, fleet, CoefficientForms.RequiredModes(form), body.Version).ConfigureAwait(false);
            if (bases is null)
            {
                return ApiProblems.Status(StatusCodes.Status409Conflict, mismatch!, "version");
            }
        }

        var options = new MergeOptions(method) { Bases = bases, Form = form, K = body.K };
        options = options with
        {
            Lambda = body.Lambda ?? options.Lambda,
            Density = body.Density ?? options.Density,
            DropRate = body.DropRate ?? options.DropRate,
            Seed = body.Seed ?? options.Seed,
        };
        return Answer(() =>
        {
            var readers = new List<IModelReader>();
            try
            {
                readers.AddRange(locations.Select(location => ModelReader.Open(location)));
                var merged = new ModelMerger(backend).Merge(readers, options);
                return ZippedAdapter(merged.Layers, backend, $"merge-{MergeMethods.Name(method)}");
            }
            finally
            {
                readers.ForEach(reader => reader.Dispose());
            }
        });
    }

    /// <summary>Runs the numerics, turning a bad file or option into a problem that names it.</summary>
    private static IResult Answer(Func<IResult> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is SubspaceFormatException or ModelFormatException)
        {
            return Unprocessable(e);
        }
        catch (ArgumentException e)
        {
            return ApiProblems.Status(StatusCodes.Status422UnprocessableEntity, e.Message, e.ParamName ?? "options");
        }
        catch (KeyNotFoundException e)
        {
            return ApiProblems.Status(StatusCodes.Status422UnprocessableEntity, e.Message, "layer");
        }
    }

    private static IResult Unprocessable(Exception e) => e switch
    {
        SubspaceFormatException subspace => ApiProblems.Status(StatusCodes.Status422UnprocessableEntity, subspace.Message, subspace.Field ?? "file"),
        _ => ApiProblems.Status(StatusCodes.Status422UnprocessableEntity, e.Message, "file"),
    };

    private static bool TryForm(string? text, out CoefficientForm form, out IResult? problem)
    {
        form = CoefficientForm.Columns;
        problem = text is null || CoefficientForms.TryParse(text, out form)
            ? null
            : ApiProblems.BadField("form", $"form '{text}' must be one of {string.Join(", ", CoefficientForms.Names)}");
        return problem is null;
    }

    private static IResult? CheckK(int? k) => k is < 1 ? ApiProblems.BadField("k", $"k must be at least 1 (got {k})") : null;

    private static IResult ZippedAdapter(IReadOnlyList<NamedUpdate> layers, IBlasBackend backend, string name)
    {
        var folder = TempPath(string.Empty);
        try
        {
            AdapterOutput.WritePeft(folder, layers, backend);
            var zip = TempPath(".zip");
            ZipFile.CreateFromDirectory(folder, zip);
            return TypedResults.File(OpenTemporary(zip), ZipMediaType, $"{name}.zip");
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static IResult DenseFile(IReadOnlyList<NamedUpdate> layers, IBlasBackend backend, string name)
    {
        var path = TempPath(".safetensors");
        AdapterOutput.WriteDense(path, layers, backend);
        return TypedResults.File(OpenTemporary(path), "application/octet-stream", $"{name}.delta.safetensors");
    }

    private static string TempPath(string extension) => Path.Combine(Path.GetTempPath(), $"uws-api-{Guid.NewGuid():N}{extension}");

    /// <summary>Opens a temporary file for the response; it is deleted when the response is done with it.</summary>
    private static FileStream OpenTemporary(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.DeleteOnClose);
}

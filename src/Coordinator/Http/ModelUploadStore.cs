using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Stores uploaded models under <c>{root}/{fleet}/</c> where the silos can read them. A model arrives either as
/// a raw <c>.safetensors</c> body (a checkpoint, stored as <c>{modelId}.safetensors</c>) or as multipart form files
/// (a PEFT adapter: <c>adapter_config.json</c> + <c>adapter_model.safetensors</c>, stored in the folder <c>{modelId}</c>).
/// The body is streamed into a staging folder under <c>{root}/.staging</c> and moved into place only when complete,
/// so no silo ever reads half a model, and a failed, refused or aborted upload leaves nothing behind. A stored model is
/// never replaced: a second upload of the same id is refused (<see cref="ModelExistsException"/>) until
/// <see cref="Delete"/> removed the first (the gateway does that when the registry rejects it).
/// </summary>
public sealed class ModelUploadStore
{
    /// <summary>File names accepted in a multipart upload.</summary>
    public static readonly IReadOnlySet<string> AcceptedFileNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "adapter_config.json", "adapter_model.safetensors", "model.safetensors", "model.safetensors.index.json",
    };

    private const string StagingFolder = ".staging";

    /// <summary>Creates the store on <paramref name="root"/> and removes what an earlier process left in staging.</summary>
    public ModelUploadStore(string root)
    {
        Root = Path.GetFullPath(root);
        var staging = Path.Combine(Root, StagingFolder);
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The upload folder.</summary>
    public string Root { get; }

    /// <summary>Whether a model with this id is stored for <paramref name="fleet"/> (either form).</summary>
    public bool Exists(string fleet, string modelId) =>
        File.Exists(CheckpointPath(fleet, modelId)) || Directory.Exists(AdapterPath(fleet, modelId));

    /// <summary>Saves the model in <paramref name="request"/>'s body and returns its location.</summary>
    /// <exception cref="BadHttpRequestException">The body is empty or malformed, or a form part has a name that is not accepted; the message names it.</exception>
    /// <exception cref="ModelExistsException">A model with this id is already stored (possibly by a concurrent upload).</exception>
    public async Task<string> SaveAsync(string fleet, string modelId, HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Exists(fleet, modelId))
        {
            throw new ModelExistsException(modelId);
        }

        using var staged = await StageAsync(request, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(Path.Combine(Root, fleet));
        if (staged.IsSingleFile)
        {
            var target = CheckpointPath(fleet, modelId);
            MoveIntoPlace(() => File.Move(staged.Path, target, overwrite: false), fleet, modelId);
            return target;
        }

        var folder = AdapterPath(fleet, modelId);
        MoveIntoPlace(() => Directory.Move(staged.Path, folder), fleet, modelId);
        return folder;
    }

    /// <summary>
    /// Receives the model (or, for a raw body, any single file) in <paramref name="request"/>'s body into a fresh staging
    /// folder, removed when the returned <see cref="StagedModel"/> is disposed (or at once, when receiving fails).
    /// </summary>
    /// <exception cref="BadHttpRequestException">The body is empty or malformed, or a form part has a name that is not accepted; the message names it.</exception>
    public async Task<StagedModel> StageAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var staging = Path.Combine(Root, StagingFolder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            if (!request.HasFormContentType)
            {
                var file = Path.Combine(staging, "model.safetensors");
                if (await WriteAsync(request.Body, file, cancellationToken).ConfigureAwait(false) == 0)
                {
                    throw new BadHttpRequestException("the request body is empty: send a .safetensors file, or multipart files adapter_config.json + adapter_model.safetensors");
                }

                return new StagedModel(staging, file);
            }

            await ReceiveFormAsync(request, staging, cancellationToken).ConfigureAwait(false);
            return new StagedModel(staging, staging);
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>Whether <paramref name="location"/> lies inside the upload folder (a model this store saved).</summary>
    public bool Holds(string location) =>
        Path.GetFullPath(location).StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>Removes the stored model <paramref name="modelId"/> of <paramref name="fleet"/> (either form), if any.</summary>
    public void Delete(string fleet, string modelId)
    {
        File.Delete(CheckpointPath(fleet, modelId));
        if (Directory.Exists(AdapterPath(fleet, modelId)))
        {
            Directory.Delete(AdapterPath(fleet, modelId), recursive: true);
        }
    }

    private string CheckpointPath(string fleet, string modelId) => Path.Combine(Root, fleet, modelId + ".safetensors");

    private string AdapterPath(string fleet, string modelId) => Path.Combine(Root, fleet, modelId);

    /// <summary>Moves the staged model into place; the other form of the id, or a concurrent upload that won, makes it a conflict.</summary>
    private void MoveIntoPlace(Action move, string fleet, string modelId)
    {
        if (Exists(fleet, modelId))
        {
            throw new ModelExistsException(modelId);
        }

        try
        {
            move();
        }
        catch (IOException) when (Exists(fleet, modelId))
        {
            throw new ModelExistsException(modelId);
        }
    }

    private static async Task ReceiveFormAsync(HttpRequest request, string staging, CancellationToken cancellationToken)
    {
        var boundary = MediaTypeHeaderValue.Parse(request.ContentType).Boundary.ToString().Trim('"');
        if (boundary.Length == 0)
        {
            throw new BadHttpRequestException("the multipart Content-Type has no boundary");
        }

        var reader = new MultipartReader(boundary, request.Body);
        var received = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
        {
            var fileName = section.GetContentDispositionHeader()?.FileName.ToString().Trim('"');
            if (string.IsNullOrEmpty(fileName))
            {
                throw new BadHttpRequestException("a multipart part is not a file: every part needs a file name (adapter_config.json, adapter_model.safetensors)");
            }

            if (!AcceptedFileNames.Contains(fileName))
            {
                throw new BadHttpRequestException($"form file '{fileName}' is not one of {string.Join(", ", AcceptedFileNames)}");
            }

            if (!received.Add(fileName))
            {
                throw new BadHttpRequestException($"form file '{fileName}' is sent twice");
            }

            await WriteAsync(section.Body, Path.Combine(staging, fileName), cancellationToken).ConfigureAwait(false);
        }

        if (received.Count == 0)
        {
            throw new BadHttpRequestException("the multipart form holds no files: send adapter_config.json + adapter_model.safetensors");
        }
    }

    private static async Task<long> WriteAsync(Stream body, string path, CancellationToken cancellationToken)
    {
        await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await body.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        return target.Length;
    }
}

using Microsoft.AspNetCore.Http;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Stores uploaded models under <c>{root}/{fleet}/</c> where the silos can read them. A model arrives either as
/// a raw <c>.safetensors</c> body (a checkpoint) or as multipart form files (a PEFT adapter:
/// <c>adapter_config.json</c> + <c>adapter_model.safetensors</c>). Files are written to a temporary name and
/// moved into place when complete, so no silo ever reads half a model.
/// </summary>
/// <param name="root">Upload folder.</param>
public sealed class ModelUploadStore(string root)
{
    /// <summary>File names accepted in a multipart upload.</summary>
    public static readonly IReadOnlySet<string> AcceptedFileNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "adapter_config.json", "adapter_model.safetensors", "model.safetensors", "model.safetensors.index.json",
    };

    /// <summary>The upload folder.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Saves the model in <paramref name="request"/>'s body and returns its location.</summary>
    /// <exception cref="BadHttpRequestException">The body is empty, or a form file has a name that is not accepted; the message names it.</exception>
    public async Task<string> SaveAsync(string fleet, string modelId, HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fleetFolder = Path.Combine(Root, fleet);
        Directory.CreateDirectory(fleetFolder);
        if (!request.HasFormContentType)
        {
            var file = Path.Combine(fleetFolder, modelId + ".safetensors");
            var written = await WriteAtomicallyAsync(request.Body, file, cancellationToken).ConfigureAwait(false);
            if (written == 0)
            {
                File.Delete(file);
                throw new BadHttpRequestException("the request body is empty: send a .safetensors file, or multipart files adapter_config.json + adapter_model.safetensors");
            }

            return file;
        }

        var form = await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        if (form.Files.Count == 0)
        {
            throw new BadHttpRequestException("the multipart form holds no files: send adapter_config.json + adapter_model.safetensors");
        }

        foreach (var part in form.Files)
        {
            if (!AcceptedFileNames.Contains(part.FileName))
            {
                throw new BadHttpRequestException($"form file '{part.FileName}' is not one of {string.Join(", ", AcceptedFileNames)}");
            }
        }

        var staging = Path.Combine(fleetFolder, $".{modelId}.{Guid.NewGuid():N}.partial");
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var part in form.Files)
            {
                await using var source = part.OpenReadStream();
                await using var target = File.Create(Path.Combine(staging, part.FileName));
                await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
            }

            var folder = Path.Combine(fleetFolder, modelId);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.Move(staging, folder);
            return folder;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static async Task<long> WriteAtomicallyAsync(Stream body, string path, CancellationToken cancellationToken)
    {
        var partial = path + ".partial";
        try
        {
            long length;
            await using (var target = File.Create(partial))
            {
                await body.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
                length = target.Length;
            }

            File.Move(partial, path, overwrite: true);
            return length;
        }
        finally
        {
            File.Delete(partial);
        }
    }
}

using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Admission;
using FormatsShape = OrleansUws.ModelFormats.LayerShape;

namespace OrleansUws.Grains.Admission;

/// <summary>
/// Runs <see cref="ModelAdmission"/> on the silo that asks (a stateless worker, so the registry's checks run in
/// parallel, off the registry's own turn). Opens the model through the silo's <see cref="ModelReaderCache"/>, so the
/// slices that absorb it next find it open and in the page cache. Blocking reads run on the silo's
/// <see cref="SketchWorkers"/> like the slices' own, never on the Orleans scheduler.
/// </summary>
[GrainType("uws-admission")]
[StatelessWorker]
public sealed partial class ModelAdmissionGrain(ModelReaderCache readers, SketchWorkers workers, ILogger<ModelAdmissionGrain> logger)
    : Grain, IModelAdmissionGrain
{
    /// <inheritdoc />
    public async Task<AdmissionResult> CheckAsync(ModelReference model, IReadOnlyDictionary<string, Interfaces.LayerShape>? architecture)
    {
        ArgumentNullException.ThrowIfNull(model);
        var fleet = architecture is { Count: > 0 }
            ? new ModelArchitecture(architecture.ToDictionary(p => p.Key, p => new FormatsShape(p.Value.Rows, p.Value.Columns)))
            : null;
        var refused = (string?)null;
        string? hash = null;
        IReadOnlyDictionary<string, Interfaces.LayerShape> layers = new Dictionary<string, Interfaces.LayerShape>();
        IReadOnlyDictionary<string, double> norms = new Dictionary<string, double>();
        await workers.RunAsync(() =>
        {
            try
            {
                hash = ModelAdmission.ContentHash(model.Location);
                using var lease = readers.Acquire(model.Location);
                layers = Interfaces.LayerShape.Of(lease.Reader.Architecture);
                norms = ModelAdmission.Check(lease.Reader, fleet);
            }
            catch (Exception ex) when (ex is ModelFormatException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                refused = ex.Message;
            }
        });
        if (refused is not null)
        {
            LogRefused(logger, model.ModelId, refused);
            return new AdmissionResult(refused, hash, layers, new Dictionary<string, double>());
        }

        return new AdmissionResult(null, hash, layers, norms);
    }

    /// <inheritdoc />
    public Task<string?> ContentHashAsync(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        return workers.RunAsync<string?>(() =>
        {
            try
            {
                return ModelAdmission.ContentHash(location);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {ModelId} refused at admission: {Reason}")]
    private static partial void LogRefused(ILogger logger, string modelId, string reason);
}

namespace OrleansUws.Coordinator.Http;

/// <summary>Options of <c>uws serve</c>, the HTTP gateway.</summary>
public sealed class ServeOptions
{
    /// <summary>Kestrel's addresses when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c>/<c>URLS</c> nor a <c>Kestrel:Endpoints</c> section gives any.</summary>
    public const string DefaultUrls = "http://localhost:5080";

    /// <summary>
    /// Addresses Kestrel listens on (';'-separated). Option <c>--urls</c>; null leaves them to the configuration
    /// (<c>ASPNETCORE_URLS</c>, <c>URLS</c>, <c>Kestrel:Endpoints</c>, e.g. an HTTPS endpoint with a certificate), else <see cref="DefaultUrls"/>.
    /// </summary>
    public string? Urls { get; set; }

    /// <summary>Folder uploaded models are stored in (the silos read them from there). Option <c>--upload-dir</c>.</summary>
    public string UploadFolder { get; set; } = "uws-uploads";

    /// <summary>Largest accepted upload in bytes (1 GiB). Option <c>--max-upload-mb</c> (in MiB).</summary>
    public long MaxUploadBytes { get; set; } = 1L << 30;

    /// <summary>Largest accepted body of every other request in bytes (1 MiB). Option <c>--max-body-kb</c> (in KiB).</summary>
    public long MaxBodyBytes { get; set; } = 1L << 20;

    /// <summary>
    /// Folders inside which models may be registered by path (<c>POST …/models</c>); none = registration by path is
    /// refused. A relative location is resolved against the first. Option <c>--model-root</c> (repeatable).
    /// </summary>
    public IList<string> ModelRoots { get; set; } = [];

    /// <summary>JSON file of API keys (the shape of <see cref="Security.ApiKeyOptions"/>), re-read when it changes. Option <c>--keys-file</c>.</summary>
    public string? KeysFile { get; set; }

    /// <summary>Requests per minute each API key (or, before authentication, each client address) may make (600). Option <c>--rate-limit</c>.</summary>
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>
    /// τ: a layer's new version is published on the basis stream only when sin θ_max between it and the layer's last
    /// published version exceeds this (0 = every version). Option <c>--publish-threshold</c>.
    /// </summary>
    public double PublishThreshold { get; set; }

    /// <summary>Published versions kept per fleet for subscribers that reconnect with <c>Last-Event-ID</c> (1024). Option <c>--replay-events</c>.</summary>
    public int ReplayEvents { get; set; } = 1024;

    /// <summary>Silo port of the embedded silo. Option <c>--silo-port</c>.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Gateway port of the embedded silo (other <c>uws</c> processes connect with <c>--gateway localhost:PORT</c>). Option <c>--gateway-port</c>.</summary>
    public int GatewayPort { get; set; } = 30000;
}

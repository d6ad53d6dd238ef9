namespace OrleansUws.Coordinator.Http;

/// <summary>Options of <c>uws serve</c>, the HTTP gateway.</summary>
public sealed class ServeOptions
{
    /// <summary>Where Kestrel listens when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c>/<c>URLS</c> says.</summary>
    public const string DefaultUrls = "http://localhost:5080";

    /// <summary>
    /// Addresses Kestrel listens on. Option <c>--urls</c>. Null (default): the host's own setting applies
    /// (<c>ASPNETCORE_URLS</c> or <c>URLS</c>, as in a container), else <see cref="DefaultUrls"/>.
    /// </summary>
    public string? Urls { get; set; }

    /// <summary>Folder uploaded models are stored in (the silos read them from there). Option <c>--upload-dir</c>.</summary>
    public string UploadFolder { get; set; } = "uws-uploads";

    /// <summary>Largest accepted upload in bytes. Option <c>--max-upload-mb</c> (in MiB).</summary>
    public long MaxUploadBytes { get; set; } = 4L << 30;

    /// <summary>Silo port of the embedded silo. Option <c>--silo-port</c>.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Gateway port of the embedded silo (other <c>uws</c> processes connect with <c>--gateway localhost:PORT</c>). Option <c>--gateway-port</c>.</summary>
    public int GatewayPort { get; set; } = 30000;
}

namespace OrleansUws.Coordinator.Http;

/// <summary>Options of <c>uws serve</c>, the HTTP gateway.</summary>
public sealed class ServeOptions
{
    /// <summary>Addresses Kestrel listens on. Option <c>--urls</c>.</summary>
    public string Urls { get; set; } = "http://localhost:5080";

    /// <summary>Folder uploaded models are stored in (the silos read them from there). Option <c>--upload-dir</c>.</summary>
    public string UploadFolder { get; set; } = "uws-uploads";

    /// <summary>Largest accepted upload in bytes. Option <c>--max-upload-mb</c> (in MiB).</summary>
    public long MaxUploadBytes { get; set; } = 4L << 30;

    /// <summary>Silo port of the embedded silo. Option <c>--silo-port</c>.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Gateway port of the embedded silo (other <c>uws</c> processes connect with <c>--gateway localhost:PORT</c>). Option <c>--gateway-port</c>.</summary>
    public int GatewayPort { get; set; } = 30000;
}

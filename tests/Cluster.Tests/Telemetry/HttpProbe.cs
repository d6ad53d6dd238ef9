namespace OrleansUws.Cluster.Tests.Telemetry;

/// <summary>Asks a starting server whether it answers yet.</summary>
internal static class HttpProbe
{
    /// <summary>True when GET <paramref name="path"/> succeeds; false while the server refuses, fails or times out.</summary>
    public static async Task<bool> SucceedsAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}

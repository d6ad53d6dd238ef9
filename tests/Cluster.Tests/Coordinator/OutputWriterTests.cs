using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Output;
using OrleansUws.Coordinator.Reports;
using OrleansUws.Grains.Interfaces;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>The CSV, table trail and plot writers on a known history.</summary>
public sealed class OutputWriterTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    internal static BasisVersionInfo Version(string layer, int version, int models, double? sinTheta, int rank = 4) =>
        new("demo", layer, SketchMode.Rows, version, models, models * 16L, rank, RankCapped: false, ExplainedEnergy: 1 - Math.Pow(0.5, version),
            Certificate: 1.0 / version, sinTheta, Centered: false, TimeSpan.FromMilliseconds(5), Created, BasisTrigger.ModelCount);

    private static LayerReport[] History() =>
    [
        new("layers.0.q_proj", SketchMode.Rows, [Version("layers.0.q_proj", 1, 10, null), Version("layers.0.q_proj", 2, 20, 0.25), Version("layers.0.q_proj", 3, 40, 0.0625)], 0.01),
        new("layers.0.v_proj", SketchMode.Rows, [Version("layers.0.v_proj", 1, 10, null), Version("layers.0.v_proj", 2, 20, 0)], null),
    ];

    [Fact]
    public void Csv_has_a_header_and_one_row_per_version()
    {
        var writer = new StringWriter();

        ConvergenceCsvWriter.Write(writer, History());

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(1 + 5, lines.Length);
        Assert.Equal(ConvergenceCsvWriter.Header, lines[0]);
        Assert.Equal("layers.0.q_proj,rows,false,1,10,160,4,false,0.5,1,,ModelCount", lines[1]);
        Assert.Equal("layers.0.q_proj,rows,false,3,40,640,4,false,0.875,0.3333333333333333,0.0625,ModelCount", lines[3]);
        Assert.Equal("layers.0.v_proj,rows,false,2,20,320,4,false,0.75,0.5,0,ModelCount", lines[5]);
    }

    [Fact]
    public void Trail_shows_sin_theta_between_versions_as_T_grew()
    {
        var report = History()[0];

        Assert.Equal("20: 2.5e-01 → 40: 6.3e-02", LayerTableRenderer.Trail(report.History));
        Assert.Equal("–", LayerTableRenderer.Trail([Version("l", 1, 10, null)]));
    }

    [Fact]
    public void Plot_is_a_png_and_leaves_out_points_without_a_logarithm()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("convergence.png");

        var drawn = ConvergencePlotWriter.WritePng(path, History(), 400, 300);

        Assert.Equal(2, drawn); // q_proj v2 and v3; v_proj's sin θ = 0 and every v1 have no logarithm
        var header = File.ReadAllBytes(path).AsSpan(0, 8).ToArray();
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, header);
    }

    [Theory]
    [InlineData("localhost:30000", "localhost", 30000)]
    [InlineData("10.1.2.3:1", "10.1.2.3", 1)]
    [InlineData("[::1]:65535", "::1", 65535)]
    public void Gateway_endpoints_parse(string text, string host, int port)
    {
        Assert.True(GatewayEndpoint.TryParse(text, out var endpoint));
        Assert.Equal((host, port), endpoint);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData(":30000")]
    [InlineData("host:0")]
    [InlineData("host:65536")]
    [InlineData("host:+80")]
    public void Bad_gateway_endpoints_do_not_parse(string text) => Assert.False(GatewayEndpoint.TryParse(text, out _));
}

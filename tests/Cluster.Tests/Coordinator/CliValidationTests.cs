using OrleansUws.Coordinator.Cli;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>Bad command lines fail before any work with exit code 2 and one line per problem naming the option.</summary>
public sealed class CliValidationTests
{
    [Fact]
    public async Task Run_reports_every_bad_option_at_once_naming_each()
    {
        var run = await CliHarness.InvokeAsync("run", "--models", "0", "--tau", "1.5", "--k", "0", "--mode", "diagonal");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(
            [
                "uws: --models must be at least 1 (got 0)",
                "uws: --k must be at least 1 (got 0)",
                "uws: --tau must be in (0, 1] (got 1.5)",
                "uws: --mode must be one of rows, columns, flattened (got 'diagonal')",
            ],
            run.ErrorLines);
        Assert.DoesNotContain("Exception", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Option_and_cluster_problems_are_reported_together()
    {
        var run = await CliHarness.InvokeAsync("run", "--layers", "0", "--gateway", "nowhere");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(
            [
                "uws: --layers must be at least 1 (got 0)",
                "uws: --gateway 'nowhere' is not host:port with a port in 1..65535",
            ],
            run.ErrorLines);
    }

    [Fact]
    public async Task Layers_beyond_the_preset_are_refused_naming_the_preset()
    {
        var run = await CliHarness.InvokeAsync("run", "--preset", "tiny", "--layers", "5");
        var generate = await CliHarness.InvokeAsync("fleet", "generate", "--out", "unused", "--preset", "vit-b16", "--layers", "13");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(["uws: --layers must be at most 2 for preset 'tiny' (got 5)"], run.ErrorLines);
        Assert.Equal(ExitCodes.Usage, generate.ExitCode);
        Assert.Equal(["uws: --layers must be at most 12 for preset 'vit-b16' (got 13)"], generate.ErrorLines);
    }

    [Fact]
    public async Task A_fixed_k_above_a_layers_dimension_is_refused_before_anything_is_generated()
    {
        using var folder = new TempFolder();
        var output = folder.Combine("out");

        var run = await CliHarness.InvokeAsync("run", "--preset", "tiny", "--models", "4", "--mode", "columns", "--k", "30", "--out", output);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(
            ["uws: --k 30 is above the dimension of 2 layer(s) in columns mode (the smallest is 24, a layer's output features); use --k 24 or less, or let --tau choose k"],
            run.ErrorLines);
        Assert.False(Directory.Exists(Path.Combine(output, OrleansUws.Coordinator.Jobs.RunJob.GeneratedFleetFolder)));
    }

    [Fact]
    public async Task A_fleet_configuration_the_cluster_refuses_is_one_line_without_internal_parameter_names()
    {
        using var folder = new TempFolder();

        var run = await CliHarness.InvokeAsync("run", "--preset", "tiny", "--models", "4", "--max-k", "70", "--out", folder.Combine("out"));

        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal(["uws: Invalid configuration of fleet 'default': Basis.Rank/MaxRank (70) must be below SketchRows (64)."], run.ErrorLines);
    }

    [Fact]
    public async Task Deleting_an_unknown_model_says_so_in_plain_text_with_exit_code_3()
    {
        var run = await CliHarness.InvokeAsync("delete", "no-such-model");

        Assert.Equal(ExitCodes.ModelsNotAbsorbed, run.ExitCode);
        Assert.Contains("not deleted no-such-model: model 'no-such-model' is unknown; only an absorbed model can be deleted", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("[yellow]", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_validates_the_api_options()
    {
        var run = await CliHarness.InvokeAsync(
            "serve", "--model-root", "no-such-root", "--keys-file", "no-such-keys.json", "--max-body-kb", "0", "--rate-limit", "0",
            "--publish-threshold", "1", "--replay-events", "0");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(
            [
                "uws: --max-body-kb must be at least 1 (got 0)",
                "uws: --model-root: directory 'no-such-root' does not exist",
                "uws: --keys-file: file 'no-such-keys.json' does not exist",
                "uws: --rate-limit must be at least 1 (got 0)",
                "uws: --publish-threshold must be in [0, 1) (got 1)",
                "uws: --replay-events must be at least 1 (got 0)",
            ],
            run.ErrorLines);
    }

    [Fact]
    public async Task Run_with_a_missing_fleet_folder_names_the_folder()
    {
        var missing = Path.Combine(Path.GetTempPath(), "uws-no-such-fleet-" + Guid.NewGuid().ToString("N"));

        var run = await CliHarness.InvokeAsync("run", "--fleet", missing);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal([$"uws: --fleet: directory '{missing}' does not exist"], run.ErrorLines);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_a_usage_error_naming_the_option()
    {
        var run = await CliHarness.InvokeAsync("run", "--models", "many");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--models", run.ErrorLines[0], StringComparison.Ordinal);
        Assert.Contains("many", run.ErrorLines[0], StringComparison.Ordinal);
        Assert.Equal("uws: see 'uws run --help'", run.ErrorLines[^1]);
    }

    [Fact]
    public async Task An_unknown_option_is_a_usage_error()
    {
        var run = await CliHarness.InvokeAsync("status", "--colour", "blue");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(run.ErrorLines, line => line.Contains("--colour", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fleet_generate_requires_out_and_validates_dtype_preset_and_counts()
    {
        var missingOut = await CliHarness.InvokeAsync("fleet", "generate");
        Assert.Equal(ExitCodes.Usage, missingOut.ExitCode);
        Assert.Contains("--out", missingOut.ErrorLines[0], StringComparison.Ordinal);

        var bad = await CliHarness.InvokeAsync("fleet", "generate", "--out", "x", "--preset", "gpt-9", "--models", "-3", "--dtype", "q4", "--noise", "-1");
        Assert.Equal(ExitCodes.Usage, bad.ExitCode);
        Assert.Equal(4, bad.ErrorLines.Count);
        Assert.StartsWith("uws: --preset must be one of ", bad.ErrorLines[0], StringComparison.Ordinal);
        Assert.EndsWith("(got 'gpt-9')", bad.ErrorLines[0], StringComparison.Ordinal);
        Assert.Equal("uws: --models must be at least 1 (got -3)", bad.ErrorLines[1]);
        Assert.Equal("uws: --noise must be a finite number ≥ 0 (got -1)", bad.ErrorLines[2]);
        Assert.Equal("uws: --dtype must be one of bf16, f16, f32 (got 'q4')", bad.ErrorLines[3]);
        Assert.False(Directory.Exists("x"));
    }

    [Fact]
    public async Task Cluster_options_are_validated_before_connecting()
    {
        var badGateway = await CliHarness.InvokeAsync("status", "--gateway", "localhost", "--gateway", "10.0.0.1:70000");
        Assert.Equal(ExitCodes.Usage, badGateway.ExitCode);
        Assert.Equal(
            [
                "uws: --gateway 'localhost' is not host:port with a port in 1..65535",
                "uws: --gateway '10.0.0.1:70000' is not host:port with a port in 1..65535",
            ],
            badGateway.ErrorLines);

        var both = await CliHarness.InvokeAsync("status", "--gateway", "localhost:30000", "--redis", "localhost:6379", "--fleet-id", "a/b", "--call-timeout", "-5");
        Assert.Equal(ExitCodes.Usage, both.ExitCode);
        Assert.Equal(
            [
                "uws: --gateway and --redis are alternatives: give one of them, not both",
                "uws: --call-timeout must be a positive number of seconds (got -5)",
                "uws: --fleet-id must not contain '/' (got 'a/b')",
            ],
            both.ErrorLines);
    }

    [Fact]
    public async Task Ingest_names_each_missing_path_and_bad_watch_settings()
    {
        using var folder = new TempFolder();
        var missing = folder.Combine("nothing-here");

        var run = await CliHarness.InvokeAsync("ingest", folder.Path, missing, "--rescan", "0", "--settle", "-2");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(
            [
                $"uws: path '{missing}' does not exist",
                "uws: --rescan must be > 0 seconds (got 0)",
                "uws: --settle must be a finite number ≥ 0 (got -2)",
            ],
            run.ErrorLines);
    }

    [Fact]
    public async Task Ingest_metrics_need_an_http_address_and_a_cluster()
    {
        using var folder = new TempFolder();

        var bad = await CliHarness.InvokeAsync("ingest", folder.Path, "--metrics-urls", "ftp://example", "--gateway", "127.0.0.1:1");

        // A path right after --gateway's address is the command's, not a second gateway (the options are checked next).
        var pathLast = await CliHarness.InvokeAsync("ingest", "--metrics-urls", "ftp://example", "--gateway", "127.0.0.1:1", folder.Path);
        var embedded = await CliHarness.InvokeAsync("ingest", folder.Path, "--metrics-urls", "http://127.0.0.1:9464");

        Assert.Equal(ExitCodes.Usage, bad.ExitCode);
        Assert.Equal(["uws: --metrics-urls 'ftp://example' is not an http:// or https:// address"], bad.ErrorLines);
        Assert.Equal(bad.ErrorLines, pathLast.ErrorLines);
        Assert.Equal(ExitCodes.Usage, embedded.ExitCode);
        Assert.Equal(["uws: --metrics-urls needs a cluster (--redis or --gateway); an embedded fleet's metrics are served by `uws serve`"], embedded.ErrorLines);
    }

    [Fact]
    public async Task Serve_validates_ports_and_urls()
    {
        var run = await CliHarness.InvokeAsync("serve", "--urls", "ftp://example", "--silo-port", "30000", "--gateway-port", "30000", "--max-upload-mb", "0");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(
            [
                "uws: --urls 'ftp://example' is not an http:// or https:// address",
                "uws: --max-upload-mb must be at least 1 (got 0)",
                "uws: --silo-port and --gateway-port must differ (both 30000)",
            ],
            run.ErrorLines);
    }

    [Fact]
    public async Task Basis_export_names_a_bad_mode()
    {
        var run = await CliHarness.InvokeAsync("basis", "export", "--layer", "layers.0.self_attn.q_proj", "--mode", "diagonal", "--out", "b.safetensors");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(["uws: --mode must be one of rows, columns, flattened (got 'diagonal')"], run.ErrorLines);
    }
}

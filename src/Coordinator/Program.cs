using OrleansUws.Coordinator.Cli;

// uws: the gateway process. Every verb lives in Verbs/, its options and validators beside the job they drive;
// UwsCli turns failures into one line on stderr and an exit code.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await UwsCli.InvokeAsync(args, CliContext.ForProcess(), cancellation.Token);

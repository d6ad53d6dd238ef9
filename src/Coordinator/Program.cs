using System.Runtime.InteropServices;
using OrleansUws.Coordinator.Cli;

// uws: the gateway process. Every verb lives in Verbs/, its options and validators beside the job they drive;
// UwsCli turns failures into one line on stderr and an exit code.
using var cancellation = new CancellationTokenSource();
void Stop(PosixSignalContext signal)
{
    signal.Cancel = true; // let the verb finish gracefully (stop watching, shut the silo down)
    cancellation.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return await UwsCli.InvokeAsync(args, CliContext.ForProcess(), cancellation.Token);

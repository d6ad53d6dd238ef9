using System.Runtime.InteropServices;

namespace OrleansUws.ModelFormats.Bench;

/// <summary>
/// CPU time of the calling thread (user + system, so a read() syscall's copy counts), via
/// <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>. On a machine shared with other jobs it measures the work done,
/// not the time spent waiting for a core. Linux only; elsewhere <see cref="IsAvailable"/> is false.
/// </summary>
public static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && Probe();

    public static double Seconds()
    {
        if (clock_gettime(ClockThreadCpuTimeId, out TimeSpec time) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        }

        return time.Seconds + time.Nanoseconds * 1e-9;
    }

    private static bool Probe()
    {
        try
        {
            return clock_gettime(ClockThreadCpuTimeId, out _) == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int clock_gettime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

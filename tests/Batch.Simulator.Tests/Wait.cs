namespace Batch.Simulator.Tests;

internal static class Wait
{
    /// <summary>Waits for a condition another thread will make true (e.g. requests reaching a held timer).</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}");
            }
            await Task.Delay(5);
        }
    }
}

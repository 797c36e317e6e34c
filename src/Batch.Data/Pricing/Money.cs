namespace Batch.Data.Pricing;

/// <summary>How money leaves Batch: exact, and without the trailing zeros of a <c>numeric(20, 10)</c> column.</summary>
public static class Money
{
    /// <summary>The same amount at the smallest scale that holds it (0.0015600000 becomes 0.00156; 2.50 becomes 2.5).</summary>
    // Dividing by one with 28 decimal places makes decimal division pick the smallest exact scale.
    public static decimal Exact(decimal amount) => amount / 1.0000000000000000000000000000m;
}

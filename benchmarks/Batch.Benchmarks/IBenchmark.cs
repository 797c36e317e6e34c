namespace Batch.Benchmarks;

/// <summary>
/// One benchmark, run by name: <c>dotnet run -c Release --project benchmarks/Batch.Benchmarks -- NAME [args]</c>.
/// Each measures Batch and a baseline in the same run and prints ratios, never pass/fail.
/// </summary>
public interface IBenchmark
{
    string Name { get; }
    string Description { get; }
    Task RunAsync(string[] args, CancellationToken cancellationToken);
}

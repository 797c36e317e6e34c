namespace Batch.Api.Problems;

/// <summary>
/// Collects the errors of one upload, keeping the first <c>limit</c> for the answer and counting the rest,
/// so a file with a million bad lines costs no more memory than one with a hundred.
/// </summary>
public sealed class UploadErrors(int limit)
{
    private readonly List<UploadError> _reported = [];

    public int Count { get; private set; }

    public bool Any => Count > 0;

    /// <summary>True once enough errors are known: reading further would only count more.</summary>
    public bool IsFull => Count >= limit;

    public IReadOnlyList<UploadError> Reported => _reported;

    public void Add(UploadError error)
    {
        Count++;
        if (_reported.Count < limit)
        {
            _reported.Add(error);
        }
    }

    public void AtLine(long line, string message, string? field = null, long? column = null) => Add(UploadError.AtLine(line, message, field, column));

    public void ForField(string field, string message) => Add(UploadError.ForField(field, message));
}

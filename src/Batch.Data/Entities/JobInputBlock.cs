namespace Batch.Data.Entities;

/// <summary>
/// A run of consecutive uploaded rows stored as one value: the upload writes a few hundred of these instead
/// of a million <see cref="JobRow"/>s, and workers turn them into rows as they need rows to claim
/// (<see cref="Rows.JobInputBlocks"/>). A block is deleted in the statement that inserts its rows, so each row
/// lives in exactly one of the two tables.
/// </summary>
public class JobInputBlock
{
    public Guid JobId { get; set; }

    /// <summary>The seq of the block's first row; the rest follow in order.</summary>
    public int FirstSeq { get; set; }

    public int RowCount { get; set; }

    /// <summary>UTF-8 JSON array with one <c>["custom_id", input]</c> pair per row.</summary>
    public required byte[] Rows { get; set; }
}

using Batch.Data.Entities;

namespace Batch.Api.Uploads;

/// <summary>What reading a whole file found out: how many rows, their shape, the job's model, the input columns and the id column.</summary>
public sealed record ParsedFile(long Rows, RowFormat Format, string Model, string[] Columns, string? IdColumn);

using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Batch.Api.Problems;

namespace Batch.Api.Uploads;

/// <summary>
/// Gives each row its custom_id: the file's own, checked against Anthropic's pattern and for repeats within
/// the job, or one made from the row number. Only ids seen in the file are remembered, and each as its 128-bit
/// XxHash, not as a string: a million ids as strings took about 125 MB more of the API's peak memory (one object
/// each, for the GC to trace too), as hashes about 40 MB. Two ids of a million collide with a chance near 1e-27.
/// Generated ids are unique by construction unless the file mixes both.
/// Ids that arrive in increasing order (shorter first, then ordinal, so "9" comes before "10") cannot repeat one another,
/// so while they do each is only appended to a list; the set that finds repeats is built from that list when the order
/// first breaks. Files numbered as they were exported never pay for the set, which took a tenth of a 1M-row upload's CPU.
/// </summary>
public sealed partial class CustomIds(UploadErrors errors)
{
    private readonly List<(IdHash Id, long Line)> _inOrder = [];
    private Dictionary<IdHash, long>? _seen;
    private string? _last;

    public static string Generate(long rowNumber) => $"row-{rowNumber:D6}";

    public static bool IsValid(string id) => Pattern().IsMatch(id);

    /// <summary>The id of row <paramref name="rowNumber"/> found on <paramref name="line"/>; records an error when it is unusable.</summary>
    /// <param name="idColumn">Where <paramref name="fromFile"/> came from when not a custom_id field, for the error to name.</param>
    public string Resolve(long line, long rowNumber, string? fromFile, bool fileMayMixIds, string? idColumn = null)
    {
        if (fromFile is null)
        {
            var generated = Generate(rowNumber);
            if (fileMayMixIds)
            {
                Remember(line, generated, "custom_id");
            }
            return generated;
        }
        var field = idColumn ?? "custom_id";
        // A custom_id taken from another column may not have been meant as one: say how to choose otherwise.
        var hint = idColumn is null or "custom_id" ? "" : $" The '{idColumn}' column gives the custom_ids; set \"id_column\" in the spec to another column, or to \"\" to number the rows.";
        if (!IsValid(fromFile))
        {
            errors.AtLine(line, $"custom_id '{Shorten(fromFile)}' is not valid: use 1 to 64 letters, digits, '_' or '-'.{hint}", field);
            return fromFile;
        }
        Remember(line, fromFile, field, hint);
        return fromFile;
    }

    private void Remember(long line, string id, string field, string hint = "")
    {
        var hash = XxHash128.HashToUInt128(MemoryMarshal.AsBytes(id.AsSpan()));
        var key = new IdHash((ulong)(hash >> 64), (ulong)hash);
        if (_seen is null)
        {
            if (_last is null || Follows(id, _last))
            {
                _inOrder.Add((key, line));
                _last = id;
                return;
            }
            _seen = SetOf(_inOrder);
            _inOrder.Clear();
            _inOrder.TrimExcess();
        }
        if (!_seen.TryAdd(key, line))
        {
            errors.AtLine(line, $"custom_id '{id}' is already used on line {_seen[key]}; custom_ids must be unique within a job.{hint}", field);
        }
    }

    private static bool Follows(string id, string last) =>
        id.Length != last.Length ? id.Length > last.Length : string.CompareOrdinal(id, last) > 0;

    private static Dictionary<IdHash, long> SetOf(List<(IdHash Id, long Line)> ids)
    {
        var set = new Dictionary<IdHash, long>(ids.Count * 2);
        foreach (var (id, line) in ids)
        {
            set.TryAdd(id, line);
        }
        return set;
    }

    /// <summary>
    /// The 128-bit hash in two halves: a <see cref="UInt128"/> is aligned to 16 bytes, which made each entry of the set
    /// 48 bytes instead of 32 (and of the list 32 instead of 24).
    /// </summary>
    private readonly record struct IdHash(ulong High, ulong Low);

    private static string Shorten(string id) => id.Length <= 80 ? id : id[..80] + "...";

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

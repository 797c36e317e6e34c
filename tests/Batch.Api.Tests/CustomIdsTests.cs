using Batch.Api.Problems;
using Batch.Api.Uploads;

namespace Batch.Api.Tests;

/// <summary>
/// Repeats are found whether the ids come in increasing order (appended, no set), break that order (the set is built
/// from what came before), or repeat only after the break.
/// </summary>
public class CustomIdsTests
{
    [Fact]
    public void Ids_in_increasing_order_by_length_then_ordinal_are_all_accepted()
    {
        var (ids, errors) = New();
        foreach (var (id, line) in new[] { "9", "10", "11", "100", "a00", "b" + new string('0', 2) }.Select((id, i) => (id, i + 1L)))
        {
            Assert.Equal(id, ids.Resolve(line, line, id, fileMayMixIds: false));
        }
        Assert.Empty(errors.Reported);
    }

    [Fact]
    public void The_same_id_twice_in_a_row_names_the_first_line()
    {
        var (ids, errors) = New();
        ids.Resolve(2, 1, "a1", fileMayMixIds: false);
        ids.Resolve(3, 2, "a2", fileMayMixIds: false);
        ids.Resolve(4, 3, "a2", fileMayMixIds: false);

        var error = Assert.Single(errors.Reported);
        Assert.Equal(4, error.Line);
        Assert.Contains("custom_id 'a2' is already used on line 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_repeat_of_an_early_id_after_a_long_ordered_run_is_found()
    {
        var (ids, errors) = New();
        for (var i = 1; i <= 10_000; i++)
        {
            ids.Resolve(i + 1, i, $"r{i:D7}", fileMayMixIds: false);
        }
        ids.Resolve(10_002, 10_001, "r0000017", fileMayMixIds: false);

        var error = Assert.Single(errors.Reported);
        Assert.Equal(10_002, error.Line);
        Assert.Contains("already used on line 18", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Repeats_after_the_order_broke_are_found_too()
    {
        var (ids, errors) = New(limit: 10);
        ids.Resolve(1, 1, "b", fileMayMixIds: false);
        ids.Resolve(2, 2, "c", fileMayMixIds: false);
        ids.Resolve(3, 3, "a", fileMayMixIds: false);
        ids.Resolve(4, 4, "z", fileMayMixIds: false);
        ids.Resolve(5, 5, "a", fileMayMixIds: false);
        ids.Resolve(6, 6, "c", fileMayMixIds: false);
        ids.Resolve(7, 7, "y", fileMayMixIds: false);

        Assert.Equal([(5L, "line 3"), (6L, "line 2")], errors.Reported.Select(e => (e.Line!.Value, e.Message.Split("used on ")[1][..6])));
    }

    [Fact]
    public void Generated_ids_collide_with_the_files_own_when_a_file_mixes_them()
    {
        var (ids, errors) = New();
        Assert.Equal("row-000001", ids.Resolve(2, 1, null, fileMayMixIds: true));
        ids.Resolve(3, 2, "row-000001", fileMayMixIds: true);

        Assert.Contains("already used on line 2", Assert.Single(errors.Reported).Message, StringComparison.Ordinal);
    }

    private static (CustomIds Ids, UploadErrors Errors) New(int limit = 1)
    {
        var errors = new UploadErrors(limit);
        return (new CustomIds(errors), errors);
    }
}

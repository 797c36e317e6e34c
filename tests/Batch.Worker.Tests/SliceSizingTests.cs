using Batch.Jobs;

namespace Batch.Worker.Tests;

public class SliceSizingTests
{
    [Theory]
    [InlineData(100_000, 5_000)]
    [InlineData(2_000_001, 100_001)]
    [InlineData(3_000, 1_000)]
    [InlineData(1, 1_000)]
    [InlineData(0, int.MaxValue)]
    public void A_slice_aims_at_a_twentieth_of_the_job_but_no_fewer_than_the_minimum(long jobRows, int expected) =>
        Assert.Equal(expected, new SliceSizing().Target(jobRows));

    [Fact]
    public void Settings_move_the_target() =>
        Assert.Equal(250, new SliceSizing { SlicesPerJob = 4, MinSliceRequests = 10 }.Target(1_000));
}

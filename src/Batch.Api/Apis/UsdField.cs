using System.Text.Json;

namespace Batch.Api.Apis;

/// <summary>
/// A USD amount in a PATCH body, where leaving the field out, sending null and sending a number mean three things:
/// leave it, remove it, set it.
/// </summary>
internal static class UsdField
{
    /// <summary>False when the field holds something other than null or a number that <paramref name="allowed"/> accepts.</summary>
    public static bool TryRead(JsonElement field, Func<decimal, bool> allowed, out bool given, out decimal? usd)
    {
        given = field.ValueKind != JsonValueKind.Undefined;
        usd = null;
        switch (field.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return true;
            case JsonValueKind.Number when field.TryGetDecimal(out var amount) && allowed(amount):
                usd = amount;
                return true;
            default:
                return false;
        }
    }
}

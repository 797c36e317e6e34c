using System.Text.Json;
using System.Text.Json.Serialization;
using Batch.Data.Pricing;

namespace Batch.Api.Json;

/// <summary>
/// Writes decimals (the API's only decimals are money) as exact JSON numbers without the trailing zeros of the
/// database's scale: <c>0.00156</c>, not <c>0.0015600000</c>, and never through a double.
/// </summary>
public sealed class MoneyJsonConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDecimal();

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNumberValue(Money.Exact(value));
}

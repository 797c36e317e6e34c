using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Batch.Api.OpenApi;

/// <summary>Money has a converter of its own (<see cref="Json.MoneyJsonConverter"/>), which hides its type from the schema: say it is a number.</summary>
internal sealed class MoneySchema : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type == typeof(decimal) || type == typeof(decimal?))
        {
            schema.Type = type == typeof(decimal) ? JsonSchemaType.Number : JsonSchemaType.Number | JsonSchemaType.Null;
            schema.Format = "decimal";
        }
        return Task.CompletedTask;
    }
}

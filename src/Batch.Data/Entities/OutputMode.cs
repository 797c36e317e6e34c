namespace Batch.Data.Entities;

/// <summary>How a job's <see cref="Job.OutputSchema"/> is sent to the Messages API.</summary>
public enum OutputMode : short
{
    /// <summary>Structured outputs where the model supports them (<see cref="ModelSetting.StructuredOutputs"/>), a forced tool elsewhere.</summary>
    Auto = 0,

    /// <summary><c>output_config: {"format": {"type": "json_schema", "schema": ...}}</c>; the answer is a text block of JSON.</summary>
    JsonSchema = 1,

    /// <summary>One tool with the schema as <c>input_schema</c> and <c>tool_choice</c> forcing it; the answer is its <c>tool_use</c> input.</summary>
    Tool = 2,
}

/// <summary>The tool Batch defines for <see cref="OutputMode.Tool"/>: a spec's own tools may not use its name.</summary>
public static class OutputTool
{
    public const string Name = "record";
}

using System.Text.Json.Serialization;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>The parts of an EventBridge-shaped event (<see cref="WorkflowEvents"/>) that the steps read.</summary>
internal sealed record WorkflowEvent([property: JsonPropertyName("detail-type")] string? DetailType, EventDetail? Detail)
{
    /// <summary>The created object's key, or an invalid-input failure.</summary>
    public string RequireObjectKey() =>
        Detail?.Object?.Key is { Length: > 0 } key
            ? key
            : throw new WorkflowTaskException(WorkflowErrors.InvalidInput, "The event names no object (detail.object.key).");
}

/// <summary>An event's detail: a parameter's name, a schedule, or an object.</summary>
internal sealed record EventDetail(string? Name, string? Operation, string? Schedule, bool Force, EventObject? Object);

/// <summary>A created object.</summary>
internal sealed record EventObject(string? Key, long Size, string? ETag);

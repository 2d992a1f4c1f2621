using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using Microsoft.Data.Sqlite;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>
/// A task handler with typed input and output (camelCase JSON). Failures leave it with an error name from
/// <see cref="WorkflowErrors"/>, so that the definition's Retry and Catch rules can tell a passing failure from bad
/// input.
/// </summary>
/// <typeparam name="TInput">The step's effective input.</typeparam>
/// <typeparam name="TOutput">The step's result.</typeparam>
internal abstract class TaskHandler<TInput, TOutput> : ITaskHandler
{
    /// <summary>The JSON form of every handler's input and output.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public abstract string Name { get; }

    public async Task<JsonNode?> InvokeAsync(JsonNode? input, TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        TInput typed;
        try
        {
            typed = input.Deserialize<TInput>(Json)
                ?? throw new WorkflowTaskException(WorkflowErrors.InvalidInput, $"The step {Name} was given no input.");
        }
        catch (JsonException e)
        {
            throw new WorkflowTaskException(WorkflowErrors.InvalidInput, $"The step {Name} cannot read its input: {e.Message}", e);
        }

        try
        {
            var output = await RunAsync(typed, context, cancellationToken);
            return JsonSerializer.SerializeToNode(output, Json);
        }
        catch (Exception e) when (Classify(e) is { } error)
        {
            throw new WorkflowTaskException(error, e.Message, e);
        }
    }

    /// <summary>Runs the step.</summary>
    protected abstract Task<TOutput> RunAsync(TInput input, TaskContext context, CancellationToken cancellationToken);

    private static string? Classify(Exception e) => e switch
    {
        WorkflowTaskException or OperationCanceledException => null,
        ObjectNotFoundException => WorkflowErrors.ObjectNotFound,
        ModelNotRunningException => WorkflowErrors.NoRunningModel,
        InvalidImageException => WorkflowErrors.InvalidImage,
        ImageTooLargeException => WorkflowErrors.ImageTooLarge,
        IOException or SqliteException or HttpRequestException or SocketException or TimeoutException => WorkflowErrors.Transient,
        ArgumentException or FormatException or JsonException => WorkflowErrors.InvalidInput,
        _ => null,
    };
}

/// <summary>A message for <see cref="NotifyHandler"/>: the topic, a one-line subject, the body and its severity.</summary>
internal sealed record NotificationRequest(string Topic, string Subject, string Message, string Severity = "info")
{
    public static NotificationRequest Operator(string subject, string message, string severity = "info") =>
        new(nameof(Notifications.NotificationTopic.Operator), subject, message, severity);

    public static NotificationRequest Consumer(string subject, string message, string severity = "info") =>
        new(nameof(Notifications.NotificationTopic.Consumer), subject, message, severity);
}

/// <summary>Nothing: the result of steps whose output the definition discards.</summary>
internal sealed record Done
{
    public static Done Instance { get; } = new();

    public bool Ok { get; init; } = true;
}

using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Lambda;

/// <summary>
/// The Lambda Runtime API loop of a custom runtime: fetch the next invocation, run it, post its response or
/// its error; repeat until cancelled. See the AWS Lambda "Runtime API" reference (version 2018-06-01).
/// </summary>
public sealed partial class LambdaRuntime(HttpClient http, Uri runtimeApi, ILogger<LambdaRuntime> logger)
{
    private const string Version = "2018-06-01";

    /// <summary>Runs invocations with <paramref name="invoke"/> (input, output, request id, token) until cancelled.</summary>
    public async Task RunAsync(Func<Stream, Stream, string, CancellationToken, Task> invoke, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invoke);
        while (!cancellationToken.IsCancellationRequested)
        {
            using var next = await http.GetAsync(new Uri(runtimeApi, $"{Version}/runtime/invocation/next"), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            next.EnsureSuccessStatusCode();
            var requestId = next.Headers.GetValues("Lambda-Runtime-Aws-Request-Id").First();
            using var deadline = DeadlineOf(next, cancellationToken);
            await using var input = await next.Content.ReadAsStreamAsync(cancellationToken);
            using var output = new MemoryStream();
            try
            {
                await invoke(input, output, requestId, deadline.Token);
                output.Position = 0;
                using var content = new StreamContent(output);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var posted = await http.PostAsync(new Uri(runtimeApi, $"{Version}/runtime/invocation/{requestId}/response"), content, cancellationToken);
                posted.EnsureSuccessStatusCode();
            }
            catch (TaskFunctionException exception)
            {
                LogFailed(logger, requestId, exception.ErrorType, exception.Message);
                await PostErrorAsync($"{Version}/runtime/invocation/{requestId}/error", exception.ErrorType, exception.Message, cancellationToken);
            }
#pragma warning disable CA1031 // Any other failure is this invocation's error, for Step Functions to Retry or Catch; an escape would end the process (Runtime.ExitError).
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                var errorType = exception is OperationCanceledException ? "CustomLabels.Timeout" : exception.GetType().Name;
                LogFailed(logger, requestId, errorType, exception.Message);
                await PostErrorAsync($"{Version}/runtime/invocation/{requestId}/error", errorType, exception.Message, cancellationToken);
            }
        }
    }

    /// <summary>Reports a failure to start (configuration or DI), so Lambda shows it instead of a timeout.</summary>
    public Task ReportInitErrorAsync(Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return PostErrorAsync($"{Version}/runtime/init/error", exception.GetType().Name, exception.Message, cancellationToken);
    }

    private async Task PostErrorAsync(string path, string errorType, string message, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(runtimeApi, path))
        {
            Content = JsonContent.Create(new JsonObject { ["errorMessage"] = message, ["errorType"] = errorType, ["stackTrace"] = new JsonArray() }),
        };
        request.Headers.Add("Lambda-Runtime-Function-Error-Type", errorType);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private static CancellationTokenSource DeadlineOf(HttpResponseMessage next, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (next.Headers.TryGetValues("Lambda-Runtime-Deadline-Ms", out var values)
            && long.TryParse(values.First(), System.Globalization.CultureInfo.InvariantCulture, out var deadlineMs))
        {
            var left = DateTimeOffset.FromUnixTimeMilliseconds(deadlineMs) - DateTimeOffset.UtcNow;
            source.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        return source;
    }

    [LoggerMessage(EventId = 9200, Level = LogLevel.Error, Message = "Invocation {RequestId} failed with {ErrorType}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string requestId, string errorType, string reason);
}

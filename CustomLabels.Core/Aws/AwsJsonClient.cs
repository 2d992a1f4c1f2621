using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Core.Aws;

/// <summary>
/// A small client for an AWS service whose SDK package the product does without: it sends JSON (or Query) over
/// HTTPS, signs every attempt with AWSSDK.Core's SigV4 signer, retries throttling and server errors with
/// exponential backoff and full jitter, follows pagination and turns error answers into the product's exceptions
/// (<see cref="AwsErrors.Map"/>).
/// </summary>
public sealed partial class AwsJsonClient
{
    private const string UserAgent = "CustomLabels/1.0";

    private readonly AwsService _service;
    private readonly Uri _endpoint;
    private readonly RegionEndpoint _region;
    private readonly AWSCredentials _credentials;
    private readonly HttpClient _http;
    private readonly AwsRetryOptions _retry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates a client for one service in one region.</summary>
    /// <param name="service">The service's protocol and names.</param>
    /// <param name="region">The region, e.g. <c>eu-west-1</c>.</param>
    /// <param name="endpoint">An endpoint override, or null for the public endpoint.</param>
    /// <param name="credentials">The credentials (the SDK's default chain in the product).</param>
    /// <param name="http">The HTTP client; its lifetime is the caller's.</param>
    /// <param name="retry">The retry policy.</param>
    /// <param name="logger">Where retries are logged.</param>
    /// <param name="time">The clock that backoff waits on.</param>
    public AwsJsonClient(
        AwsService service,
        string region,
        Uri? endpoint,
        AWSCredentials credentials,
        HttpClient http,
        AwsRetryOptions retry,
        ILogger logger,
        TimeProvider? time = null)
    {
        _service = service;
        _region = RegionEndpoint.GetBySystemName(region);
        _endpoint = endpoint ?? service.EndpointFor(region);
        _credentials = credentials;
        _http = http;
        _retry = retry;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The service this client calls.</summary>
    public AwsService Service => _service;

    /// <summary>Calls a JSON-protocol operation (POST / with X-Amz-Target) and returns the answer's body.</summary>
    public async Task<JsonObject> CallAsync(string operation, JsonObject request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_service.Protocol != AwsProtocol.Json)
        {
            throw new InvalidOperationException($"{_service.SigningName} does not use the JSON protocol.");
        }

        var body = Encoding.UTF8.GetBytes(request.ToJsonString());
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["X-Amz-Target"] = $"{_service.TargetPrefix}.{operation}",
            ["Content-Type"] = $"application/x-amz-json-{_service.JsonVersion}",
        };
        var text = await SendAsync(HttpMethod.Post, new Uri(_endpoint, "/"), headers, body, cancellationToken);
        return ParseObject(text);
    }

    /// <summary>Calls a REST-JSON operation and returns the answer's body (an empty object when there is none).</summary>
    /// <param name="method">The operation's method.</param>
    /// <param name="pathAndQuery">The path with its query, each value already escaped.</param>
    /// <param name="request">The JSON body, or null for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<JsonObject> CallRestAsync(HttpMethod method, string pathAndQuery, JsonObject? request, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        byte[]? body = null;
        if (request is not null)
        {
            body = Encoding.UTF8.GetBytes(request.ToJsonString());
            headers["Content-Type"] = "application/json";
        }

        var text = await SendAsync(method, new Uri(_endpoint, pathAndQuery), headers, body, cancellationToken);
        return ParseObject(text);
    }

    /// <summary>Calls a Query-protocol action and returns the answer's XML.</summary>
    public async Task<XDocument> CallQueryAsync(string action, IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        var form = new StringBuilder($"Action={Uri.EscapeDataString(action)}&Version={Uri.EscapeDataString(_service.ApiVersion ?? string.Empty)}");
        foreach (var (key, value) in parameters)
        {
            form.Append('&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8",
        };
        var text = await SendAsync(HttpMethod.Post, new Uri(_endpoint, "/"), headers, Encoding.UTF8.GetBytes(form.ToString()), cancellationToken);
        return XDocument.Parse(text);
    }

    /// <summary>
    /// Calls a JSON-protocol list operation page after page, passing each answer's token back in the next request.
    /// </summary>
    /// <param name="operation">The operation.</param>
    /// <param name="request">The first request; it is not changed.</param>
    /// <param name="tokenMember">The token's member name: <c>NextToken</c> (Rekognition) or <c>nextToken</c> (Step Functions).</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public async IAsyncEnumerable<JsonObject> PaginateAsync(
        string operation,
        JsonObject request,
        string tokenMember,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var page = (JsonObject)request.DeepClone();
        while (true)
        {
            var answer = await CallAsync(operation, page, cancellationToken);
            yield return answer;
            var token = answer[tokenMember]?.GetValue<string>();
            if (string.IsNullOrEmpty(token))
            {
                yield break;
            }

            page = (JsonObject)page.DeepClone();
            page[tokenMember] = token;
        }
    }

    private async Task<string> SendAsync(
        HttpMethod method,
        Uri uri,
        Dictionary<string, string> headers,
        byte[]? body,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var message = await BuildSignedRequestAsync(method, uri, headers, body, cancellationToken);
            AwsServiceException error;
            try
            {
                using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return text;
                }

                error = ParseError(response, text);
            }
            catch (HttpRequestException exception) when (attempt < _retry.MaxAttempts)
            {
                LogRetry(_logger, _service.SigningName, attempt, "network", exception.Message);
                await BackOffAsync(attempt, cancellationToken);
                continue;
            }

            if (attempt >= _retry.MaxAttempts || !AwsErrors.IsRetryable(error.ErrorCode, error.StatusCode))
            {
                throw AwsErrors.Map(error);
            }

            LogRetry(_logger, _service.SigningName, attempt, error.ErrorCode, error.ServiceMessage);
            await BackOffAsync(attempt, cancellationToken);
        }
    }

    private async Task<HttpRequestMessage> BuildSignedRequestAsync(
        HttpMethod method,
        Uri uri,
        Dictionary<string, string> headers,
        byte[]? body,
        CancellationToken cancellationToken)
    {
        var signing = new AWSSigningRequest { HttpMethod = method, RequestUri = uri, Content = body ?? [] };
        foreach (var (name, value) in headers)
        {
            signing.Headers[name] = value;
        }

        var signed = await AWSSigV4Signer.SignAsync(
            signing,
            new AWSSigV4Parameters { Credentials = _credentials, Region = _region, Service = _service.SigningName, SignPayload = true },
            cancellationToken);

        var message = new HttpRequestMessage(method, uri);
        message.Headers.UserAgent.ParseAdd(UserAgent);
        if (body is not null)
        {
            message.Content = new ByteArrayContent(body);
        }

        foreach (var (name, value) in headers.Concat(signed.Headers))
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                message.Content ??= new ByteArrayContent([]);
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else if (!name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return message;
    }

    private async Task BackOffAsync(int attempt, CancellationToken cancellationToken)
    {
        var ceiling = Math.Min(_retry.MaxDelay.TotalMilliseconds, _retry.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
#pragma warning disable CA5394 // Jitter spreads retries; it needs no cryptographic strength.
        var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
#pragma warning restore CA5394
        await Task.Delay(delay, _time, cancellationToken);
    }

    /// <summary>Reads an error answer in any of the three protocols' shapes.</summary>
    internal static AwsServiceException ParseError(HttpResponseMessage response, string text)
    {
        var requestId = Header(response, "x-amzn-RequestId") ?? Header(response, "x-amz-request-id");
        string? code = Header(response, "x-amzn-ErrorType");
        string? message = null;
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                if (JsonNode.Parse(trimmed) is JsonObject json)
                {
                    code ??= (json["__type"] ?? json["code"] ?? json["Code"])?.GetValue<string>();
                    message = (json["message"] ?? json["Message"] ?? json["errorMessage"])?.GetValue<string>();
                }
            }
            catch (JsonException)
            {
                // Not JSON after all; the status code speaks for itself.
            }
        }
        else if (trimmed.StartsWith('<'))
        {
            try
            {
                var error = XDocument.Parse(trimmed).Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
                code ??= error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value;
                message = error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value;
                requestId ??= XDocument.Parse(trimmed).Descendants().FirstOrDefault(e => e.Name.LocalName == "RequestId")?.Value;
            }
            catch (System.Xml.XmlException)
            {
                // Not XML after all.
            }
        }

        return new AwsServiceException(
            NormalizeCode(code) ?? (response.StatusCode == HttpStatusCode.TooManyRequests ? "ThrottlingException" : $"Http{(int)response.StatusCode}"),
            message ?? response.ReasonPhrase ?? string.Empty,
            response.StatusCode,
            requestId);
    }

    /// <summary>"com.amazon.coral.service#ThrottlingException" and "ThrottlingException:http://..." become "ThrottlingException".</summary>
    internal static string? NormalizeCode(string? code)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return null;
        }

        var colon = code.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            code = code[..colon];
        }

        var hash = code.LastIndexOf('#');
        return hash >= 0 ? code[(hash + 1)..] : code;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static JsonObject ParseObject(string text) =>
        string.IsNullOrWhiteSpace(text) ? [] : JsonNode.Parse(text) as JsonObject ?? [];

    [LoggerMessage(EventId = 9100, Level = LogLevel.Warning, Message = "{Service} call failed on attempt {Attempt} ({Code}: {Reason}); retrying after a backoff")]
    private static partial void LogRetry(ILogger logger, string service, int attempt, string code, string reason);
}

/// <summary>Reads the JSON protocol's values (timestamps are epoch seconds).</summary>
public static class AwsJson
{
    /// <summary>A timestamp member: epoch seconds (number) or ISO 8601 (string); null when absent.</summary>
    public static DateTimeOffset? Timestamp(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<double>(out var seconds) =>
            DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000)),
        JsonValue value when value.TryGetValue<string>(out var text) =>
            DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal),
        _ => null,
    };

    /// <summary>A timestamp as the JSON protocol sends it: epoch seconds with milliseconds.</summary>
    public static JsonNode EpochSeconds(DateTimeOffset time) => JsonValue.Create(time.ToUnixTimeMilliseconds() / 1000.0);

    /// <summary>
    /// An enum member by its wire name, or <paramref name="other"/> for a name AWS added after this version of the
    /// product (a closed list would throw, and one new value would break every listing).
    /// </summary>
    public static TEnum Enum<TEnum>(string text, TEnum other)
        where TEnum : struct, System.Enum
    {
        try
        {
            return JsonSerializer.Deserialize<TEnum>(JsonValue.Create(text));
        }
        catch (JsonException)
        {
            return other;
        }
    }

    /// <summary>A string member, or null.</summary>
    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

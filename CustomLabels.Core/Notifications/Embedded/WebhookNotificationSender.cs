using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Notifications.Embedded;

/// <summary>POSTs each message as JSON to the configured URL, signed with HMAC-SHA256 when a secret is set.</summary>
internal sealed class WebhookNotificationSender(IHttpClientFactory httpClientFactory, IOptions<NotificationOptions> options) : INotificationSender
{
    /// <summary>The named HTTP client.</summary>
    public const string HttpClientName = "CustomLabels.Webhook";

    /// <summary>The header that carries the body's signature.</summary>
    public const string SignatureHeader = "X-CustomLabels-Signature";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private readonly WebhookOptions _options = options.Value.Webhook;

    public string Name => "webhook";

    public bool Accepts(Notification notification) =>
        _options.Enabled && (_options.Topics.Count == 0 || _options.Topics.Contains(notification.Topic));

    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new
            {
                notification.Id,
                notification.Topic,
                notification.Subject,
                notification.Message,
                notification.Severity,
                notification.Time,
                notification.ExecutionId,
            },
            Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, _options.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        if (!string.IsNullOrEmpty(_options.Secret))
        {
            var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(_options.Secret), body);
            request.Headers.Add(SignatureHeader, "sha256=" + Convert.ToHexStringLower(signature));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        var client = httpClientFactory.CreateClient(HttpClientName);
        using var response = await client.SendAsync(request, timeout.Token);
        response.EnsureSuccessStatusCode();
    }
}

using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Notifications.Embedded;

/// <summary>Where notifications are sent besides the feed, bound from <c>CustomLabels:Notifications</c>.</summary>
public sealed class NotificationOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "CustomLabels:Notifications";

    /// <summary>Mail delivery; off while <see cref="SmtpOptions.Host"/> is empty (the default).</summary>
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Webhook delivery; off while <see cref="WebhookOptions.Url"/> is empty (the default).</summary>
    public WebhookOptions Webhook { get; set; } = new();

    /// <summary>How many messages may wait for delivery before the oldest is dropped (logged). Default: 1000.</summary>
    public int QueueCapacity { get; set; } = 1000;
}

/// <summary>SMTP delivery (MailKit).</summary>
public sealed class SmtpOptions
{
    /// <summary>The server's host name; empty turns mail off. Default: empty.</summary>
    public string? Host { get; set; }

    /// <summary>The server's port. Default: 587.</summary>
    public int Port { get; set; } = 587;

    /// <summary>
    /// How the connection is secured: <c>Auto</c>, <c>None</c>, <c>SslOnConnect</c>, <c>StartTls</c> or
    /// <c>StartTlsWhenAvailable</c>. Default: <c>Auto</c>.
    /// </summary>
    public string Security { get; set; } = "Auto";

    /// <summary>The user to authenticate as; none when empty. Default: empty.</summary>
    public string? UserName { get; set; }

    /// <summary>The password for <see cref="UserName"/>. Default: empty.</summary>
    public string? Password { get; set; }

    /// <summary>The sender address. Required when mail is on.</summary>
    public string? From { get; set; }

    /// <summary>Recipients of operator messages. At least one of the recipient lists is required when mail is on.</summary>
    public IList<string> OperatorRecipients { get; } = [];

    /// <summary>Recipients of consumer messages (detection results). Default: none.</summary>
    public IList<string> ConsumerRecipients { get; } = [];

    /// <summary>How long one delivery may take, in seconds. Default: 30.</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>True when mail is on.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>Webhook delivery: each message is POSTed as JSON.</summary>
public sealed class WebhookOptions
{
    /// <summary>The absolute http(s) URL to POST to; empty turns the webhook off. Default: empty.</summary>
    public string? Url { get; set; }

    /// <summary>Which topics are sent: <c>Operator</c>, <c>Consumer</c>. Default: both.</summary>
    public IList<NotificationTopic> Topics { get; } = [];

    /// <summary>
    /// A shared secret; when set, each request carries <c>X-CustomLabels-Signature: sha256=&lt;hex HMAC of the body&gt;</c>.
    /// Default: none.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>How long one delivery may take, in seconds. Default: 10.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>True when the webhook is on.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Url);
}

/// <summary>Checks the notification settings at start, naming the setting that is wrong.</summary>
internal sealed class NotificationOptionsValidator : IValidateOptions<NotificationOptions>
{
    private static readonly string[] SecurityModes = ["Auto", "None", "SslOnConnect", "StartTls", "StartTlsWhenAvailable"];

    public ValidateOptionsResult Validate(string? name, NotificationOptions options)
    {
        var failures = new List<string>();
        if (options.QueueCapacity < 1)
        {
            failures.Add($"{NotificationOptions.SectionName}:QueueCapacity must be at least 1.");
        }

        var smtp = options.Smtp;
        if (smtp.Enabled)
        {
            const string Prefix = NotificationOptions.SectionName + ":Smtp";
            if (smtp.Port is < 1 or > 65535)
            {
                failures.Add($"{Prefix}:Port must be from 1 to 65535, not {smtp.Port}.");
            }

            if (!SecurityModes.Contains(smtp.Security, StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{Prefix}:Security must be one of {string.Join(", ", SecurityModes)}, not '{smtp.Security}'.");
            }

            if (!IsAddress(smtp.From))
            {
                failures.Add($"{Prefix}:From must be a mail address when {Prefix}:Host is set.");
            }

            if (smtp.OperatorRecipients.Count + smtp.ConsumerRecipients.Count == 0)
            {
                failures.Add($"{Prefix}:OperatorRecipients or {Prefix}:ConsumerRecipients must name at least one address when {Prefix}:Host is set.");
            }

            failures.AddRange(smtp.OperatorRecipients.Concat(smtp.ConsumerRecipients)
                .Where(a => !IsAddress(a))
                .Select(a => $"{Prefix}: '{a}' is not a mail address."));

            if (smtp.TimeoutSeconds < 1)
            {
                failures.Add($"{Prefix}:TimeoutSeconds must be at least 1.");
            }
        }

        var webhook = options.Webhook;
        if (webhook.Enabled)
        {
            const string Prefix = NotificationOptions.SectionName + ":Webhook";
            if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"{Prefix}:Url must be an absolute http or https URL, not '{webhook.Url}'.");
            }

            if (webhook.TimeoutSeconds < 1)
            {
                failures.Add($"{Prefix}:TimeoutSeconds must be at least 1.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsAddress(string? address) => MimeKit.MailboxAddress.TryParse(address, out _);
}

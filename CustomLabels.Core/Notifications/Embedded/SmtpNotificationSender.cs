using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace CustomLabels.Core.Notifications.Embedded;

/// <summary>Mails each message to the recipients of its topic (MailKit).</summary>
internal sealed class SmtpNotificationSender(IOptions<NotificationOptions> options) : INotificationSender
{
    private readonly SmtpOptions _options = options.Value.Smtp;

    public string Name => "smtp";

    public bool Accepts(Notification notification) => _options.Enabled && RecipientsOf(notification.Topic).Count > 0;

    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(_options.From!));
        message.To.AddRange(RecipientsOf(notification.Topic).Select(MailboxAddress.Parse));
        message.Subject = $"[CustomLabels] {notification.Subject}";
        message.Body = new TextPart("plain")
        {
            Text = $"{notification.Message}\n\nTopic: {notification.Topic}\nSeverity: {notification.Severity}\nTime: {notification.Time:O}"
                   + (notification.ExecutionId is null ? string.Empty : $"\nExecution: {notification.ExecutionId}"),
        };

        using var client = new SmtpClient { Timeout = _options.TimeoutSeconds * 1000 };
        await client.ConnectAsync(_options.Host!, _options.Port, Enum.Parse<SecureSocketOptions>(_options.Security, ignoreCase: true), cancellationToken);
        if (!string.IsNullOrEmpty(_options.UserName))
        {
            await client.AuthenticateAsync(_options.UserName, _options.Password ?? string.Empty, cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }

    private IList<string> RecipientsOf(NotificationTopic topic) =>
        topic == NotificationTopic.Consumer ? _options.ConsumerRecipients : _options.OperatorRecipients;
}

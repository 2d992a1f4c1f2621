using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Notifications.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CustomLabels.Tests.Core.Notifications;

public sealed class NotificationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static Notification Message(string subject, NotificationTopic topic = NotificationTopic.Operator, string? dedup = null) =>
        new(topic, subject, $"Body of {subject}", DateTimeOffset.UtcNow, "info", "exec-1") { DeduplicationId = dedup };

    [Fact]
    public async Task TheFeedIsSearchableByTopicAndTextNewestFirstOnePageAtATime()
    {
        using var parts = new PipelineParts();
        var notifier = parts.Notifier;
        await notifier.PublishAsync(Message("v1 is serving"));
        await notifier.PublishAsync(Message("acme in cup.jpg", NotificationTopic.Consumer));
        await notifier.PublishAsync(Message("v2 failed the F1 gate"));
        await notifier.PublishAsync(Message("100% sure"));

        var operatorFeed = await notifier.QueryAsync(new NotificationQuery(NotificationTopic.Operator));
        Assert.Equal(["100% sure", "v2 failed the F1 gate", "v1 is serving"], operatorFeed.Items.Select(n => n.Subject));
        Assert.Equal(["v2 failed the F1 gate"], (await notifier.QueryAsync(new NotificationQuery(Search: "f1 GATE"))).Items.Select(n => n.Subject));
        Assert.Equal(["100% sure"], (await notifier.QueryAsync(new NotificationQuery(Search: "0%"))).Items.Select(n => n.Subject));

        var first = await notifier.QueryAsync(new NotificationQuery(MaxResults: 3));
        var second = await notifier.QueryAsync(new NotificationQuery(MaxResults: 3, NextToken: first.NextToken));
        Assert.Equal(4, first.Items.Concat(second.Items).Select(n => n.Id).Distinct().Count());
        Assert.Null(second.NextToken);
        Assert.Equal("exec-1", second.Items[0].ExecutionId);
    }

    [Fact]
    public async Task PublishingAgainWithTheSameDeduplicationIdStoresNothingMore()
    {
        using var parts = new PipelineParts();
        var published = 0;
        using var subscription = parts.Events.Subscribe(e => Interlocked.Increment(ref published));

        await parts.Notifier.PublishAsync(Message("v1 is serving", dedup: "exec-1/NotifyDeployed"));
        await parts.Notifier.PublishAsync(Message("v1 is serving", dedup: "exec-1/NotifyDeployed"));

        Assert.Single((await parts.Notifier.QueryAsync(new NotificationQuery())).Items);
        Assert.Equal(1, published);
    }

    [Fact]
    public async Task AnUnknownSeverityIsRefusedAndNothingIsStored()
    {
        using var parts = new PipelineParts();
        await Assert.ThrowsAsync<ArgumentException>(() => parts.Notifier.PublishAsync(Message("x") with { Severity = "panic" }));
        Assert.Empty((await parts.Notifier.QueryAsync(new NotificationQuery())).Items);
    }

    [Fact]
    public async Task TheWebhookReceivesEachMessageAsSignedJson()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        using var parts = new PipelineParts(new Dictionary<string, string?>
        {
            ["CustomLabels:Notifications:Webhook:Url"] = $"http://127.0.0.1:{port}/hook/",
            ["CustomLabels:Notifications:Webhook:Secret"] = "s3cret",
            ["CustomLabels:Notifications:Webhook:Topics:0"] = "Operator",
        });
        using var stop = new CancellationTokenSource();
        var delivering = parts.Services.GetRequiredService<NotificationDelivery>().RunAsync(stop.Token);

        var received = listener.GetContextAsync();
        await parts.Notifier.PublishAsync(Message("ignored by topic", NotificationTopic.Consumer));
        await parts.Notifier.PublishAsync(Message("v1 is serving"));
        var context = await received.WaitAsync(Patience);
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        context.Response.StatusCode = 204;
        context.Response.Close();

        Assert.Equal("POST", context.Request.HttpMethod);
        Assert.StartsWith("application/json", context.Request.ContentType, StringComparison.Ordinal);
        var json = JsonNode.Parse(body)!;
        Assert.Equal("v1 is serving", (string?)json["subject"]);
        Assert.Equal("Operator", (string?)json["topic"]);
        Assert.Equal("exec-1", (string?)json["executionId"]);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("s3cret"), Encoding.UTF8.GetBytes(body)));
        Assert.Equal(expected, context.Request.Headers[WebhookNotificationSender.SignatureHeader]);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delivering);
    }

    [Fact]
    public async Task AWebhookThatCannotBeReachedIsLoggedAndFailsNothing()
    {
        using var parts = new PipelineParts(new Dictionary<string, string?>
        {
            ["CustomLabels:Notifications:Webhook:Url"] = $"http://127.0.0.1:{FreePort()}/nobody-listens",
        });
        var stored = Message("v1 is serving") with { Id = 7 };

        await parts.Services.GetRequiredService<NotificationDelivery>().DeliverAsync(stored, CancellationToken.None);
        await parts.Notifier.PublishAsync(Message("still published"));

        Assert.Single((await parts.Notifier.QueryAsync(new NotificationQuery())).Items);
    }

    [Fact]
    public async Task MailGoesToTheTopicsRecipientsThroughSmtp()
    {
        using var server = new OneMessageSmtpServer();
        using var parts = new PipelineParts(new Dictionary<string, string?>
        {
            ["CustomLabels:Notifications:Smtp:Host"] = "127.0.0.1",
            ["CustomLabels:Notifications:Smtp:Port"] = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CustomLabels:Notifications:Smtp:Security"] = "None",
            ["CustomLabels:Notifications:Smtp:From"] = "customlabels@example.com",
            ["CustomLabels:Notifications:Smtp:OperatorRecipients:0"] = "ops@example.com",
        });

        await parts.Services.GetRequiredService<NotificationDelivery>().DeliverAsync(Message("v1 is serving") with { Id = 1 }, CancellationToken.None);
        var mail = await server.Received.WaitAsync(Patience);

        Assert.Contains("RCPT TO:<ops@example.com>", mail.Commands);
        Assert.Contains("Subject: [CustomLabels] v1 is serving", mail.Data, StringComparison.Ordinal);
        Assert.Contains("Body of v1 is serving", mail.Data, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CustomLabels:Notifications:Smtp:Host", "mail.example.com", "Smtp:From")]
    [InlineData("CustomLabels:Notifications:Webhook:Url", "ftp://example.com/hook", "Webhook:Url")]
    [InlineData("CustomLabels:Notifications:Webhook:Url", "/relative", "Webhook:Url")]
    public void BadDeliverySettingsFailAtStartNamingTheSetting(string key, string value, string named)
    {
        using var parts = new PipelineParts(new Dictionary<string, string?> { [key] = value });

        var error = Assert.Throws<OptionsValidationException>(() => parts.Services.GetRequiredService<IOptions<NotificationOptions>>().Value);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A real SMTP conversation on a loopback port, enough for one message.</summary>
    private sealed class OneMessageSmtpServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task<(List<string> Commands, string Data)> _conversation;

        public OneMessageSmtpServer()
        {
            _listener.Start();
            _conversation = ServeAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public Task<(List<string> Commands, string Data)> Received => _conversation;

        public void Dispose() => _listener.Stop();

        private async Task<(List<string>, string)> ServeAsync()
        {
            using var client = await _listener.AcceptTcpClientAsync();
            await using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            var commands = new List<string>();
            var data = new StringBuilder();
            await writer.WriteLineAsync("220 localhost ESMTP");
            while (await reader.ReadLineAsync() is { } line)
            {
                commands.Add(line);
                var verb = line.Split(' ')[0].ToUpperInvariant();
                if (verb is "EHLO" or "HELO")
                {
                    await writer.WriteLineAsync("250 localhost");
                }
                else if (verb == "DATA")
                {
                    await writer.WriteLineAsync("354 go ahead");
                    while (await reader.ReadLineAsync() is { } content && content != ".")
                    {
                        data.AppendLine(content);
                    }

                    await writer.WriteLineAsync("250 queued");
                }
                else if (verb == "QUIT")
                {
                    await writer.WriteLineAsync("221 bye");
                    break;
                }
                else
                {
                    await writer.WriteLineAsync("250 ok");
                }
            }

            return (commands, data.ToString());
        }
    }
}

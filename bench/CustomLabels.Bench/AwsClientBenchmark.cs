using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using CustomLabels.Core.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomLabels.Bench;

/// <summary>
/// The hand-written AWS JSON client: one DetectCustomLabels call (serialise, SigV4-sign with AWSSDK.Core, send,
/// parse) against a plain HttpClient POST of the same body to the same loopback stand-in: what signing and the
/// client's handling add to a call; and signing alone against one SHA-256 of the body, the least SigV4 needs
/// (these services require a signed payload hash).
/// </summary>
internal sealed class AwsClientBenchmark : IBenchmark
{
    private const string Answer = """{"CustomLabels":[{"Name":"cat","Confidence":93.5},{"Name":"dog","Confidence":4.25}]}""";

    public string Name => "aws-client";

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        await using var server = builder.Build();
        server.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            await reader.ReadToEndAsync(http.RequestAborted);
            http.Response.ContentType = "application/x-amz-json-1.1";
            await http.Response.WriteAsync(Answer, http.RequestAborted);
        });
        await server.StartAsync(cancellationToken);
        var address = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");

        using var http = new HttpClient();
        var client = new AwsJsonClient(
            AwsService.Rekognition,
            "us-east-1",
            address,
            new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            http,
            new AwsRetryOptions(),
            NullLogger.Instance);
        var image = new byte[64 * 1024];
        Random.Shared.NextBytes(image);
        var request = new JsonObject
        {
            ["ProjectVersionArn"] = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v1/1700000000000",
            ["Image"] = new JsonObject { ["Bytes"] = Convert.ToBase64String(image) },
        };
        var body = Encoding.UTF8.GetBytes(request.ToJsonString());
        var calls = context.Quick ? 100 : 1000;

        async Task PlainAsync()
        {
            using var content = new ByteArrayContent(body);
            using var response = await http.PostAsync(address, content, cancellationToken);
            JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        }

        Task ClientAsync() => client.CallAsync("DetectCustomLabels", request, cancellationToken);

        for (var i = 0; i < 50; i++)
        {
            await PlainAsync();
            await ClientAsync();
        }

        // Interleaved, so that warm-up and machine noise fall on both alike.
        var plain = TimeSpan.Zero;
        var signed = TimeSpan.Zero;
        for (var i = 0; i < calls; i++)
        {
            plain += await TimeAsync(PlainAsync);
            signed += await TimeAsync(ClientAsync);
        }

        await server.StopAsync(cancellationToken);

        var hashing = TimeSpan.Zero;
        var signing = TimeSpan.Zero;
        var credentials = new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        for (var i = 0; i < calls; i++)
        {
            hashing += await TimeAsync(() =>
            {
                System.Security.Cryptography.SHA256.HashData(body);
                return Task.CompletedTask;
            });
            signing += await TimeAsync(() => SignAsync(address, body, credentials, cancellationToken));
        }

        var call = signed.TotalMilliseconds / plain.TotalMilliseconds;
        var sign = signing.TotalMilliseconds / hashing.TotalMilliseconds;
        return
        [
            new Figure("signed DetectCustomLabels call (64 KB image) vs plain POST, loopback", call, "x plain POST", "<= 4", call <= 4),
            new Figure("SigV4 signing of that request vs one SHA-256 of its body", sign, "x SHA-256", "<= 3", sign <= 3),
        ];
    }

    private static Task<Amazon.Runtime.Signing.AWSSigningResult> SignAsync(Uri address, byte[] body, AWSCredentials credentials, CancellationToken cancellationToken)
    {
        var request = new Amazon.Runtime.Signing.AWSSigningRequest { HttpMethod = HttpMethod.Post, RequestUri = address, Content = body };
        request.Headers["X-Amz-Target"] = "RekognitionService.DetectCustomLabels";
        request.Headers["Content-Type"] = "application/x-amz-json-1.1";
        return Amazon.Runtime.Signing.AWSSigV4Signer.SignAsync(
            request,
            new Amazon.Runtime.Signing.AWSSigV4Parameters { Credentials = credentials, Region = Amazon.RegionEndpoint.USEast1, Service = "rekognition", SignPayload = true },
            cancellationToken);
    }

    private static async Task<TimeSpan> TimeAsync(Func<Task> call)
    {
        var start = Stopwatch.GetTimestamp();
        await call();
        return Stopwatch.GetElapsedTime(start);
    }
}

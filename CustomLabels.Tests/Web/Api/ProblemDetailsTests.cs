using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace CustomLabels.Tests.Web.Api;

public sealed class ProblemDetailsTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly HttpClient _operator = fixture.App.Client(RunningApp.BootstrapKey);

    [Theory]
    [InlineData("/api/detect")]
    [InlineData("/api/training-images/godot")]
    public async Task AMultipartBodyThatDoesNotMatchItsBoundaryIsA400Problem(string path)
    {
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes(
            "--other-boundary\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\nnot the boundary\r\n--other-boundary--\r\n"));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=declared-boundary");

        using var response = await _operator.PostAsync(path, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("multipart boundary", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/api/nothing-here", null, HttpStatusCode.NotFound)]
    [InlineData("DELETE", "/api/keys/no-such-key", null, HttpStatusCode.NotFound)]
    [InlineData("POST", "/api/keys", "{\"name\": ", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/api/keys", "{\"name\": \"x\", \"role\": \"King\"}", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/executions?maxResults=0", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/executions?status=SLEEPING", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/human-loops?status=Sleeping", null, HttpStatusCode.BadRequest)]
    [InlineData("POST", "/api/human-loops/some-loop/answer", "{\"label\": \"a/b\"}", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/api/human-loops/some-loop/answer", "{\"label\": \"a\", \"noneOfTheAbove\": true}", HttpStatusCode.BadRequest)]
    [InlineData("PUT", "/api/parameters/No-Such-Parameter", "{\"value\": \"1\"}", HttpStatusCode.BadRequest)]
    [InlineData("PUT", "/api/parameters/For-System-Use-Only", "{\"value\": \"{}\"}", HttpStatusCode.BadRequest)]
    // Paging tokens: not base64, negative, overflowing, not a number, not UTF-8, huge, another listing's shape.
    [InlineData("GET", "/api/executions?nextToken=%25%25%25not-base64", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/executions?nextToken=LTU%3D", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/executions?nextToken=OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk%3D", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/executions?nextToken=YWJj", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/executions?nextToken=%2F%2F79", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/executions?nextToken=MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE%3D", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/human-loops?nextToken=%25%25%25not-base64", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/human-loops?nextToken=LTU%3D", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/human-loops?nextToken=OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk%3D", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/human-loops?nextToken=YWJj", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/human-loops?nextToken=%2F%2F79", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/human-loops?nextToken=MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE%3D", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/rejected-images?nextToken=%25%25%25not-base64", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/rejected-images?nextToken=LTU%3D", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/rejected-images?nextToken=OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk%3D", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/rejected-images?nextToken=YWJj", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/rejected-images?nextToken=%2F%2F79", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/rejected-images?nextToken=MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE%3D", null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/executions?nextToken=YWZ0ZXI6NQ%3D%3D", null, HttpStatusCode.BadRequest)]
    public async Task FailuresAreProblemDetailsWithAFittingStatus(string method, string path, string? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await _operator.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal((int)expected, (int)problem!["status"]!);
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["title"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["detail"]));
        Assert.NotNull(problem["type"]);
    }
}

public sealed class OpenApiTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    [Fact]
    public async Task TheOpenApiDocumentDescribesTheApi()
    {
        var document = await fixture.App.Client(RunningApp.BootstrapKey).GetFromJsonAsync<JsonObject>("/openapi/v1.json");

        Assert.StartsWith("3.", (string)document!["openapi"]!, StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        foreach (var path in new[]
        {
            "/api/detect", "/api/training-images", "/api/training-images/{label}", "/api/training", "/api/executions",
            "/api/executions/{id}", "/api/executions/{id}/history", "/api/project-versions", "/api/parameters",
            "/api/parameters/{name}", "/api/human-loops", "/api/human-loops/{name}/answer", "/api/keys", "/api/users",
            "/api/rejected-images", "/api/rejected-images/{fileName}",
        })
        {
            Assert.Contains(path, paths);
        }

        Assert.NotNull(document["paths"]!["/api/detect"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]);
        var scheme = document["components"]!["securitySchemes"]!["ApiKey"]!;
        Assert.Equal(("apiKey", "header", "X-Api-Key"), ((string)scheme["type"]!, (string)scheme["in"]!, (string)scheme["name"]!));
    }
}

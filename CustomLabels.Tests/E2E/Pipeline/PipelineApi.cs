using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Globalization;
using System.Text.Json.Nodes;
using CustomLabels.Core.Workflow;

namespace CustomLabels.Tests.E2E.Pipeline;

/// <summary>
/// Drives the product through its HTTP API only, as an operator, a consumer and a reviewer would: uploads, detections,
/// answers, parameters, versions and runs. Waiting is done by watching state through the API.
/// </summary>
public sealed class PipelineApi(HttpClient operatorClient)
{
    /// <summary>How long any one watched state may take before the test fails with what it saw last.</summary>
    public static readonly TimeSpan WatchLimit = TimeSpan.FromMinutes(4);

    /// <summary>How often watched state is read again.</summary>
    public static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The demo set of logos-dev: train/&lt;label&gt;/*.jpg and inference/img_NN.jpg with labels.csv.</summary>
    public static string Demo => Path.Combine(Core.Models.ModelTestEnvironment.LogosDev, "demo");

    /// <summary>A demo inference image, e.g. <c>img_01.jpg</c>.</summary>
    public static string InferenceImage(string name) => Path.Combine(Demo, "inference", name);

    /// <summary>The demo inference images whose label (in labels.csv) is this one, e.g. <c>godot</c> or <c>unknown:mpv</c>.</summary>
    public static IReadOnlyList<string> InferenceImagesLabelled(Func<string, bool> label) =>
        [.. File.ReadLines(Path.Combine(Demo, "labels.csv")).Skip(1)
            .Select(line => line.Split(','))
            .Where(f => f[0] == "inference" && label(f[2]))
            .Select(f => Path.Combine(Demo, f[1]))
            .Order(StringComparer.Ordinal)];

    /// <summary>The brand of a demo photo of an unknown logo, as labels.csv names it (<c>unknown:mpv</c> gives <c>mpv</c>).</summary>
    public static string Brand(JsonObject detection)
    {
        var photo = Path.GetFileName((string)detection["objectKey"]!).Split('-', 2)[1];
        return File.ReadLines(Path.Combine(Demo, "labels.csv")).Select(l => l.Split(','))
            .Single(f => f[1] == $"inference/{photo}")[2].Split(':')[1];
    }

    /// <summary>Uploads the demo training set as one zip of label folders through <c>POST /api/training-images</c>.</summary>
    public Task<JsonObject> UploadDemoTrainingSetAsync() => UploadLabelFoldersAsync(Path.Combine(Demo, "train"));

    /// <summary>Uploads a folder of label folders as one zip through <c>POST /api/training-images</c>.</summary>
    public async Task<JsonObject> UploadLabelFoldersAsync(string folder)
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var entry = archive.CreateEntry($"{Path.GetFileName(Path.GetDirectoryName(file))}/{Path.GetFileName(file)}");
                await using var target = entry.Open();
                await using var source = File.OpenRead(file);
                await source.CopyToAsync(target);
            }
        }

        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(zip.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(content, "files", $"{Path.GetFileName(folder)}.zip");
        using var response = await operatorClient.PostAsync("/api/training-images", form);
        await EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>Sends an image to <c>POST /api/detect</c> and returns the answer.</summary>
    public static async Task<JsonObject> DetectAsync(HttpClient consumer, string imagePath)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(await File.ReadAllBytesAsync(imagePath));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(content, "image", Path.GetFileName(imagePath));
        using var response = await consumer.PostAsync("/api/detect", form);
        await EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>
    /// Sends the demo's photos of logos the model never learns and returns the answers that opened a human loop. A
    /// photo that opened none must have been accepted above the threshold, or the confidence check is broken.
    /// </summary>
    public static async Task<IReadOnlyList<JsonObject>> DetectUnknownLogosAsync(HttpClient consumer, double threshold)
    {
        var loops = new List<JsonObject>();
        foreach (var path in InferenceImagesLabelled(l => l.StartsWith("unknown:", StringComparison.Ordinal)))
        {
            var answer = await DetectAsync(consumer, path);
            if (answer["humanLoopName"] is not null)
            {
                loops.Add(answer);
            }
            else
            {
                Assert.True((double)answer["CustomLabels"]![0]!["Confidence"]! >= threshold, $"Accepted below the threshold without review: {answer}");
            }
        }

        return loops;
    }

    /// <summary>Answers a human loop "none of the above" through <c>POST /api/human-loops/{name}/answer</c>.</summary>
    public static async Task<JsonObject> AnswerNoneOfTheAboveAsync(HttpClient reviewer, string loopName)
    {
        using var response = await reviewer.PostAsJsonAsync($"/api/human-loops/{loopName}/answer", new { noneOfTheAbove = true });
        await EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>Starts the training branch now through <c>POST /api/training</c>.</summary>
    public async Task StartTrainingAsync()
    {
        using var response = await operatorClient.PostAsync("/api/training", null);
        await EnsureSuccessAsync(response);
    }

    /// <summary>Answers a human loop with a label through <c>POST /api/human-loops/{name}/answer</c>.</summary>
    public static async Task<JsonObject> AnswerAsync(HttpClient reviewer, string loopName, string label)
    {
        using var response = await reviewer.PostAsJsonAsync($"/api/human-loops/{loopName}/answer", new { label });
        await EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task PutParameterAsync(string name, string value)
    {
        using var response = await operatorClient.PutAsJsonAsync($"/api/parameters/{name}", new { value });
        await EnsureSuccessAsync(response);
    }

    /// <summary>The pipeline's own state (For-System-Use-Only), as the parameters API serves it.</summary>
    public async Task<JsonObject> SystemStateAsync()
    {
        var parameter = await operatorClient.GetFromJsonAsync<JsonObject>("/api/parameters/For-System-Use-Only");
        return JsonNode.Parse((string)parameter!["value"]!)!.AsObject();
    }

    /// <summary>Every version as <c>GET /api/project-versions</c> lists it: name to status.</summary>
    public async Task<Dictionary<string, string>> VersionsAsync()
    {
        var listed = await operatorClient.GetFromJsonAsync<JsonObject>("/api/project-versions");
        return listed!["versions"]!.AsArray().ToDictionary(v => (string)v!["version"]!["versionName"]!, v => (string)v!["version"]!["status"]!);
    }

    /// <summary>Every execution of a branch, newest first, every page.</summary>
    public async Task<IReadOnlyList<JsonObject>> ExecutionsAsync(string branch)
    {
        var all = new List<JsonObject>();
        string? next = null;
        do
        {
            var page = await operatorClient.GetFromJsonAsync<JsonObject>(
                $"/api/executions?branch={branch}&maxResults=100{(next is null ? string.Empty : $"&nextToken={Uri.EscapeDataString(next)}")}");
            all.AddRange(page!["executions"]!.AsArray().Select(e => e!.AsObject()));
            next = (string?)page["nextToken"];
        }
        while (next is not null);

        return all;
    }

    /// <summary><c>GET /api/executions/{id}</c>: summary, input, output, error and cause.</summary>
    public async Task<JsonObject> ExecutionAsync(string id) =>
        (await operatorClient.GetFromJsonAsync<JsonObject>($"/api/executions/{Uri.EscapeDataString(id)}"))!;

    /// <summary><c>GET /api/executions/{id}/history</c>.</summary>
    public async Task<JsonArray> HistoryAsync(string id) =>
        (await operatorClient.GetFromJsonAsync<JsonArray>($"/api/executions/{Uri.EscapeDataString(id)}/history"))!;

    /// <summary>The finished executions of a branch whose history passed through a state, oldest first.</summary>
    public async Task<IReadOnlyList<JsonObject>> FinishedThroughAsync(string branch, string stateName)
    {
        var found = new List<JsonObject>();
        foreach (var execution in (await ExecutionsAsync(branch)).Where(e => (string)e["status"]! != "RUNNING"))
        {
            var history = await HistoryAsync((string)execution["executionId"]!);
            if (history.Any(e => (string?)e!["stateName"] == stateName))
            {
                found.Add(execution);
            }
        }

        found.Reverse();
        return found;
    }

    /// <summary>Watches until a version other than <paramref name="previous"/> runs and the system state points at it.</summary>
    public Task<string> WatchDeployedAsync(string? previous) =>
        WatchAsync($"a version other than {previous ?? "none"} to be RUNNING and deployed", async () =>
        {
            var running = (await VersionsAsync()).Where(v => v.Value == "RUNNING" && v.Key != previous).Select(v => v.Key).FirstOrDefault();
            return running is not null && (string?)(await SystemStateAsync())["runningVersion"] == running ? running : null;
        });

    /// <summary>Watches until the review run of a loop has succeeded, and returns the key it copied the image to.</summary>
    public Task<CopiedAnswer> WatchCopiedAsync(string loopName) =>
        WatchAsync($"the answer of {loopName} to be copied into the training set", async () =>
        {
            foreach (var run in (await ExecutionsAsync(WorkflowEvents.Branches.Review)).Where(r => (string)r["status"]! == "SUCCEEDED"))
            {
                var detail = await ExecutionAsync((string)run["executionId"]!);
                var key = CopiedKeyIn(detail["output"]);
                if (key is not null && key.Contains(loopName, StringComparison.Ordinal))
                {
                    return new CopiedAnswer(key, (string)run["executionId"]!, DateTimeOffset.Parse((string)run["stopDate"]!, CultureInfo.InvariantCulture));
                }
            }

            return null;
        });

    private static string? CopiedKeyIn(JsonNode? node) => node switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) && text.StartsWith("images_labeled_by_folder/", StringComparison.Ordinal) => text,
        JsonObject obj => obj.Select(p => CopiedKeyIn(p.Value)).FirstOrDefault(k => k is not null),
        JsonArray array => array.Select(CopiedKeyIn).FirstOrDefault(k => k is not null),
        _ => null,
    };

    /// <summary>Watches state through the API until <paramref name="probe"/> gives a value, or fails after <see cref="WatchLimit"/>.</summary>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <param name="probe">Reads the state; null while it is not there yet.</param>
    /// <param name="interval">Between two reads; zero for a state that lasts only moments.</param>
    public static async Task<T> WatchAsync<T>(string what, Func<Task<T?>> probe, TimeSpan? interval = null)
        where T : class
    {
        using var limit = new CancellationTokenSource(WatchLimit);
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"Waited {WatchLimit} for {what}.");
            }

            await Task.Delay(interval ?? WatchInterval, CancellationToken.None);
        }
    }

    /// <summary>The event types of a history, in order.</summary>
    public static IReadOnlyList<string> Types(JsonArray history) => [.. history.Select(e => (string)e!["type"]!)];

    /// <summary>The states a history entered, in order.</summary>
    public static IReadOnlyList<string> EnteredStates(JsonArray history) =>
        [.. history.Where(e => ((string)e!["type"]!).EndsWith("StateEntered", StringComparison.Ordinal)).Select(e => (string)e!["stateName"]!)];

    private static async Task EnsureSuccessAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}

/// <summary>Where an answer's image was copied, by which review run, and when that run ended.</summary>
public sealed record CopiedAnswer(string Key, string ExecutionId, DateTimeOffset At);

using CustomLabels.Core;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Aws;
using CustomLabels.Lambda;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A Lambda function of the pipeline: one workflow task handler, named by the function's Handler setting
// (_HANDLER), served through the custom runtime's Runtime API. Settings come from the environment
// (CustomLabels__Backend=Aws, CustomLabels__Aws__*), set by the CloudFormation template.
var runtimeApi = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API")
                 ?? throw new InvalidOperationException("AWS_LAMBDA_RUNTIME_API is not set: this program runs as a Lambda function.");
var handlerName = Environment.GetEnvironmentVariable("_HANDLER")
                  ?? throw new InvalidOperationException("_HANDLER is not set: the function's Handler names the task handler.");

using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
var runtime = new LambdaRuntime(http, new Uri($"http://{runtimeApi}/"), loggerFactory.CreateLogger<LambdaRuntime>());

IHost host;
try
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, DisableDefaults = false });
    builder.Configuration[$"{CustomLabelsOptions.SectionName}:{nameof(CustomLabelsOptions.Backend)}"] = nameof(Backend.Aws);
    builder.AddCustomLabelsCore();
    host = builder.Build();
    await host.StartAsync();
}
catch (Exception exception) when (exception is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException)
{
    await runtime.ReportInitErrorAsync(exception, CancellationToken.None);
    throw;
}

var handlers = host.Services.GetServices<ITaskHandler>().ToList();
var workflow = host.Services.GetRequiredService<IWorkflowService>();
var taskLogger = loggerFactory.CreateLogger(nameof(TaskFunction));
await runtime.RunAsync(
    (input, output, requestId, token) => handlerName == ObjectCreatedExecutions.HandlerName
        ? TaskFunction.StartExecutionAsync(workflow, input, output, token)
        : TaskFunction.InvokeAsync(handlers, handlerName, input, output, requestId, taskLogger, token),
    CancellationToken.None);

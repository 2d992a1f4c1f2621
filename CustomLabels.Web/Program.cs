using CustomLabels.Web;

await using var app = CustomLabelsWebApp.Create(args);
await app.RunAsync();

<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>SegEarth</name>
    <message>
        <source>loading model</source>
        <translation>加载模型</translation>
    </message>
    <message>
        <source>reading pixels</source>
        <translation>读取像素</translation>
    </message>
    <message>
        <source>encoding</source>
        <translation>编码</translation>
    </message>
    <message>
        <source>reasoning</source>
        <translation>推理</translation>
    </message>
    <message>
        <source>decoding</source>
        <translation>解码</translation>
    </message>
    <message>
        <source>vectorising</source>
        <translation>矢量化</translation>
    </message>
    <message>
        <source>SegEarth</source>
        <translation>SegEarth</translation>
    </message>
    <message>
        <source>Raster layer</source>
        <translation>栅格图层</translation>
    </message>
    <message>
        <source>Ask about the layer, e.g. where could a small plane land?</source>
        <translation>就该图层提问，例如：小型飞机可以在哪里降落？</translation>
    </message>
    <message>
        <source>Enter runs; Shift+Enter starts a new line</source>
        <translation>回车运行；Shift+回车换行</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Reasoning (implicit question)</source>
        <translation>推理（隐式问题）</translation>
    </message>
    <message>
        <source>Referring (name the object)</source>
        <translation>指代（说出目标）</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Whole layer</source>
        <translation>整个图层</translation>
    </message>
    <message>
        <source>Visible map extent</source>
        <translation>可见地图范围</translation>
    </message>
    <message>
        <source>Extent</source>
        <translation>范围</translation>
    </message>
    <message>
        <source>Single view (fast, resampled)</source>
        <translation>单视图（快速，重采样）</translation>
    </message>
    <message>
        <source>Tiled (full resolution)</source>
        <translation>分块（全分辨率）</translation>
    </message>
    <message>
        <source>native</source>
        <translation>原始</translation>
    </message>
    <message>
        <source>Map units per pixel for tiled runs; 0 uses the layer's own resolution</source>
        <translation>分块运行时每像素的地图单位；0 表示使用图层自身分辨率</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Resolution</source>
        <translation>分辨率</translation>
    </message>
    <message>
        <source>Bands (R, G, B)</source>
        <translation>波段（红、绿、蓝）</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Export the selected result layer to a Shapefile or GeoPackage</source>
        <translation>将所选结果图层导出为 Shapefile 或 GeoPackage</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Past questions on this layer (click to run again)</source>
        <translation>此图层的历史问题（点击重新运行）</translation>
    </message>
    <message>
        <source>Choose a raster layer first</source>
        <translation>请先选择一个栅格图层</translation>
    </message>
    <message>
        <source>Type a question first</source>
        <translation>请先输入问题</translation>
    </message>
    <message>
        <source>Choose a model folder (or download a model) first</source>
        <translation>请先选择模型文件夹（或下载模型）</translation>
    </message>
    <message>
        <source>The visible map extent does not overlap the layer</source>
        <translation>可见地图范围与图层不重叠</translation>
    </message>
    <message>
        <source>Choose a .shp or .gpkg file name</source>
        <translation>请选择 .shp 或 .gpkg 文件名</translation>
    </message>
    <message>
        <source>SegEarth answer to: {}</source>
        <translation>SegEarth 对以下问题的回答：{}</translation>
    </message>
    <message>
        <source>Export failed: {}</source>
        <translation>导出失败：{}</translation>
    </message>
    <message>
        <source>{} exists; choose another name or allow overwriting</source>
        <translation>{} 已存在；请换一个名称或允许覆盖</translation>
    </message>
    <message>
        <source>Model files present</source>
        <translation>模型文件齐全</translation>
    </message>
    <message>
        <source>No model folder chosen</source>
        <translation>未选择模型文件夹</translation>
    </message>
    <message>
        <source>Test model (random weights): results are meaningless</source>
        <translation>测试模型（随机权重）：结果没有意义</translation>
    </message>
    <message>
        <source>Folder does not exist: {}</source>
        <translation>文件夹不存在：{}</translation>
    </message>
    <message>
        <source>Missing files: {}</source>
        <translation>缺少文件：{}</translation>
    </message>
    <message>
        <source>config.json cannot be read: {}</source>
        <translation>无法读取 config.json：{}</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>revision (commit)</source>
        <translation>版本（提交）</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Download the pinned revision from Hugging Face and check its sha256</source>
        <translation>从 Hugging Face 下载固定版本并校验 sha256</translation>
    </message>
    <message>
        <source>Hub</source>
        <translation>Hub</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>not loaded</source>
        <translation>未加载</translation>
    </message>
    <message>
        <source>loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>not loaded: {}</source>
        <translation>未加载：{}</translation>
    </message>
    <message>
        <source>SegEarth: loading the model</source>
        <translation>SegEarth：正在加载模型</translation>
    </message>
    <message>
        <source>Low memory</source>
        <translation>低内存模式</translation>
    </message>
    <message>
        <source>For 8 GB machines: release the language model between questions and the image encoder after encoding; each question then loads them again (slower)</source>
        <translation>适用于 8 GB 内存的机器：在两次提问之间释放语言模型，并在编码后释放图像编码器；之后每次提问都会重新加载它们（较慢）</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Diagnostics</source>
        <translation>诊断</translation>
    </message>
    <message>
        <source>Copy a report of versions, providers and GPU to the clipboard</source>
        <translation>将版本、执行提供程序和 GPU 报告复制到剪贴板</translation>
    </message>
    <message>
        <source>Install dependencies…</source>
        <translation>安装依赖…</translation>
    </message>
    <message>
        <source>test model (random weights)</source>
        <translation>测试模型（随机权重）</translation>
    </message>
    <message>
        <source>Loaded: {}</source>
        <translation>已加载：{}</translation>
    </message>
    <message>
        <source>Missing Python packages: {}</source>
        <translation>缺少 Python 包：{}</translation>
    </message>
    <message>
        <source>SegEarth panel</source>
        <translation>SegEarth 面板</translation>
    </message>
    <message>
        <source>Segment selected extent</source>
        <translation>分割所选范围</translation>
    </message>
    <message>
        <source>Segment visible extent</source>
        <translation>分割可见范围</translation>
    </message>
    <message>
        <source>Export SegEarth result…</source>
        <translation>导出 SegEarth 结果…</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Drag a rectangle on the map</source>
        <translation>在地图上拖出一个矩形</translation>
    </message>
    <message>
        <source>Export SegEarth result</source>
        <translation>导出 SegEarth 结果</translation>
    </message>
    <message>
        <source>Shapefile (*.shp)</source>
        <translation>Shapefile 文件 (*.shp)</translation>
    </message>
    <message>
        <source>GeoPackage (*.gpkg)</source>
        <translation>GeoPackage 文件 (*.gpkg)</translation>
    </message>
    <message>
        <source>Install dependencies</source>
        <translation>安装依赖</translation>
    </message>
    <message>
        <source>Diagnostics copied to the clipboard</source>
        <translation>诊断信息已复制到剪贴板</translation>
    </message>
    <message>
        <source>A question is already running; cancel it first</source>
        <translation>已有一个问题正在运行，请先取消</translation>
    </message>
    <message>
        <source>The raster layer is no longer in the project</source>
        <translation>该栅格图层已不在工程中</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Cancelled; nothing was added</source>
        <translation>已取消；未添加任何内容</translation>
    </message>
    <message>
        <source>The rectangle does not overlap the layer</source>
        <translation>矩形与图层不重叠</translation>
    </message>
    <message>
        <source>Select a SegEarth result layer to export</source>
        <translation>请选择要导出的 SegEarth 结果图层</translation>
    </message>
    <message>
        <source>Type a Hugging Face repo id first</source>
        <translation>请先输入 Hugging Face 仓库 ID</translation>
    </message>
    <message>
        <source>SegEarth download</source>
        <translation>SegEarth 下载</translation>
    </message>
    <message>
        <source>All dependencies are installed</source>
        <translation>所有依赖均已安装</translation>
    </message>
    <message>
        <source>SegEarth install</source>
        <translation>SegEarth 安装</translation>
    </message>
    <message>
        <source>Done: {} polygons</source>
        <translation>完成：{} 个多边形</translation>
    </message>
    <message>
        <source>{} exists. Replace it?</source>
        <translation>{} 已存在。是否替换？</translation>
    </message>
    <message>
        <source>Exported to {}</source>
        <translation>已导出到 {}</translation>
    </message>
    <message>
        <source>Downloading {}@{}…</source>
        <translation>正在下载 {}@{}…</translation>
    </message>
    <message>
        <source>Run this command? Packages go to a private folder; QGIS's numpy and GDAL are not touched.

{}</source>
        <translation>运行以下命令？软件包将安装到私有文件夹；不会改动 QGIS 的 numpy 和 GDAL。

{}</translation>
    </message>
    <message>
        <source>Dependencies installed; restart QGIS to use them</source>
        <translation>依赖已安装；请重启 QGIS 以使用</translation>
    </message>
    <message>
        <source>The SegEarth engine is not installed. Install it with: {}</source>
        <translation>未安装 SegEarth 引擎。安装命令：{}</translation>
    </message>
    <message>
        <source>SegEarth: {}</source>
        <translation>SegEarth：{}</translation>
    </message>
    <message>
        <source>Failed: {}</source>
        <translation>失败：{}</translation>
    </message>
    <message>
        <source>{} polygons from a TEST model with random weights: they mean nothing</source>
        <translation>{} 个多边形来自随机权重的测试模型：没有任何意义</translation>
    </message>
    <message>
        <source>{} polygons for: {}</source>
        <translation>{} 个多边形，问题：{}</translation>
    </message>
    <message>
        <source>{} exists; nothing was written</source>
        <translation>{} 已存在；未写入任何内容</translation>
    </message>
    <message>
        <source>Model downloaded to {}</source>
        <translation>模型已下载到 {}</translation>
    </message>
    <message>
        <source>The SegEarth engine is not installed ({})</source>
        <translation>未安装 SegEarth 引擎（{}）</translation>
    </message>
    <message>
        <source>Download failed (is the Hugging Face hub reachable?): {}</source>
        <translation>下载失败（能否访问 Hugging Face hub？）：{}</translation>
    </message>
    <message>
        <source>Installation failed: {}</source>
        <translation>安装失败：{}</translation>
    </message>
    <message>
        <source>Segment raster by question</source>
        <translation>按问题分割栅格</translation>
    </message>
    <message>
        <source>Answer polygons</source>
        <translation>答案多边形</translation>
    </message>
    <message>
        <source>A raster layer and a question are required</source>
        <translation>需要一个栅格图层和一个问题</translation>
    </message>
    <message>
        <source>Model {} on {}</source>
        <translation>模型 {}，运行于 {}</translation>
    </message>
    <message>
        <source>SegEarth results</source>
        <translation>SegEarth 结果</translation>
    </message>
    <message>
        <source>SegEarth cannot start: {}. Install it with: {}</source>
        <translation>SegEarth 无法启动：{}。请用以下命令安装：{}</translation>
    </message>
    <message>
        <source>Asks SegEarth-R1 or SegEarth-R2 a question about a raster and writes the answer as polygons in the raster's CRS. SegEarth-R2 can name several targets: each polygon then carries its target's phrase (target) and number (target_idx), and the text answer is shown in the log.</source>
        <translation>向 SegEarth-R1 或 SegEarth-R2 提出关于栅格的问题，并将答案以栅格坐标系中的多边形写出。SegEarth-R2 可以给出多个目标：每个多边形带有其目标的短语（target）和编号（target_idx），文本回答显示在日志中。</translation>
    </message>
    <message>
        <source>Done: {} polygons for {} targets</source>
        <translation>完成：{} 个多边形，{} 个目标</translation>
    </message>
    <message>
        <source>Model's answer</source>
        <translation>模型的回答</translation>
    </message>
    <message>
        <source>Model's answer: {}</source>
        <translation>模型的回答：{}</translation>
    </message>
    <message>
        <source>SegEarth targets</source>
        <translation>SegEarth 目标</translation>
    </message>
    <message>
        <source>SegEarth-R2 answers once for the whole extent: tiles could name different targets, so only the single view is offered</source>
        <translation>SegEarth-R2 对整个范围只回答一次：不同瓦片可能给出不同的目标，因此只提供单视图模式</translation>
    </message>
    <message>
        <source>SegEarth-R2 model files present: one question can return several targets</source>
        <translation>SegEarth-R2 模型文件齐全：一个问题可以返回多个目标</translation>
    </message>
    <message>
        <source>SegEarth-R2 models answer in single view mode only</source>
        <translation>SegEarth-R2 模型只能在单视图模式下回答</translation>
    </message>
    <message>
        <source>SegEarth-R2 reads the question itself (one prompt for referring and reasoning): there is no task to choose</source>
        <translation>SegEarth-R2 自行理解问题（指代与推理共用一个提示）：无需选择任务</translation>
    </message>
    <message>
        <source>SegEarth-R2 test model (random weights): results are meaningless</source>
        <translation>SegEarth-R2 测试模型（随机权重）：结果没有意义</translation>
    </message>
    <message>
        <source>The text the model wrote; [1], [2]… mark where it named each target</source>
        <translation>模型写出的文本；[1]、[2]… 标出它提到每个目标的位置</translation>
    </message>
</context>
</TS>
